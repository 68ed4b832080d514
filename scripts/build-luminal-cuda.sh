#!/usr/bin/env bash
# Builds subspace's luminal CUDA target (feature `cuda` of subspace-luminal) on a machine without
# CUDA or a GPU, for a Linux x86_64 machine with an NVIDIA GPU (made for an H100), and packs the
# programs that check it there into .gpu/ (git-ignored):
#
# - luminal-cuda-conformance.xz: the whole conformance suite on Luminal<Cuda> (and on
#   Luminal<Cpu>), one test per property (backends/luminal/tests/conformance.rs);
# - luminal-cuda-mlp.xz: the luminal MLP on CUDA against the reference (logits, loss and
#   analytic gradient, a training trajectory, copies read from a region file; tests/mlp.rs);
# - subspace-conformance-luminal-cuda.xz: the conformance CLI with its table (backend x property
#   -> result, cases, worst error), when subspace-conformance has the `luminal-cuda` feature.
#
# scripts/run-luminal-cuda.sh runs them on the GPU machine.
#
# luminal_cuda 0.2.0 uses luminal_cudarc 0.10.0, whose build script only needs
# `$CUDA_ROOT/include/cuda.h` to exist and links `cuda`, `nvrtc`, `cublas`, `cublasLt` and
# `curand` dynamically (its Rust bindings are pre-generated; no C header is compiled). So:
#
# 1. headers: the PyPI wheel `nvidia-cuda-runtime==13.0.*` (`nvidia/cu13/include`);
# 2. libraries: stub shared libraries with one empty function per `pub fn` the bindings declare
#    (`src/*/sys.rs` and `src/cublas/half.rs`), named with the sonames of the GPU machine:
#    libcuda.so.1, libnvrtc.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10. They are
#    only linked against; at run time the dynamic loader finds the real libraries;
# 3. release builds into target-luminal-cuda/ (or $CARGO_TARGET_DIR), stripped and xz-compressed.
#
# Needs: cargo, python3 with pip (PyPI reachable), gcc, strip, xz, unzip.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target-luminal-cuda}"
cuda_root="$target_dir/cuda-root"
out_dir="$root/.gpu"

# 1. cuda.h from the CUDA runtime wheel.
if [ ! -f "$cuda_root/include/cuda.h" ]; then
  wheels="$target_dir/wheels"
  mkdir -p "$wheels" "$cuda_root/include"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    'nvidia-cuda-runtime==13.0.*' -d "$wheels"
  wheel="$(ls "$wheels"/nvidia_cuda_runtime-13.0.*.whl | head -n 1)"
  unzip -q -o "$wheel" 'nvidia/cu13/include/*' -d "$wheels/unpacked"
  cp -r "$wheels/unpacked/nvidia/cu13/include/." "$cuda_root/include/"
fi

# 2. Stub libraries from the bindings' declarations.
cd "$root"
cargo fetch --locked --quiet
cudarc_src="$(cargo metadata --locked --format-version 1 --features subspace-luminal/cuda | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
paths = [p["manifest_path"] for p in meta["packages"]
         if p["name"] == "luminal_cudarc" and p["version"] == "0.10.0"]
if not paths:
    sys.exit("luminal_cudarc 0.10.0 is not in Cargo.lock")
print(os.path.dirname(paths[0]) + "/src")
')"
stubs="$cuda_root/lib64"
mkdir -p "$stubs"
make_stub() { # name soname sources...
  local name="$1" soname="$2"
  shift 2
  local c="$target_dir/stub-$name.c"
  python3 - "$@" > "$c" <<'PY'
import re, sys
names = sorted({n for path in sys.argv[1:]
                for n in re.findall(r"\bpub fn (\w+)\s*\(", open(path).read())})
print("/* Generated stubs: link-time only, never loaded. */")
for n in names:
    print(f"void {n}(void) {{}}")
PY
  gcc -shared -fPIC -Wl,-soname,"$soname" -o "$stubs/lib$name.so" "$c"
  ln -sf "lib$name.so" "$stubs/$soname" # lets the CPU tests of a CUDA build run here
}
make_stub cuda libcuda.so.1 "$cudarc_src/driver/sys.rs"
make_stub nvrtc libnvrtc.so.13 "$cudarc_src/nvrtc/sys.rs"
make_stub cublas libcublas.so.13 "$cudarc_src/cublas/sys.rs" "$cudarc_src/cublas/half.rs"
make_stub cublasLt libcublasLt.so.13 "$cudarc_src/cublaslt/sys.rs"
make_stub curand libcurand.so.10 "$cudarc_src/curand/sys.rs"

# 3. Build, strip, compress.
export CUDA_ROOT="$cuda_root" CARGO_TARGET_DIR="$target_dir"
mkdir -p "$out_dir"
pack() { # executable name
  strip -o "$out_dir/$2" "$1"
  xz -9 -f -T0 "$out_dir/$2"
  echo "packed $out_dir/$2.xz ($(readelf -d "$1" | grep -c NEEDED) shared libraries needed)"
}
tests_json="$(cargo test --release --locked -p subspace-luminal --features cuda \
  --test conformance --test mlp --no-run --message-format=json)"
for test in conformance mlp; do
  exe="$(printf '%s\n' "$tests_json" | python3 -c '
import json, sys
name = sys.argv[1]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name and m.get("executable"):
        print(m["executable"])
' "$test")"
  pack "$exe" "luminal-cuda-$test"
done
if grep -q '^luminal-cuda' conformance/Cargo.toml; then
  cargo build --release --locked -p subspace-conformance --features luminal-cuda \
    --bin subspace-conformance
  pack "$target_dir/release/subspace-conformance" subspace-conformance-luminal-cuda
fi
