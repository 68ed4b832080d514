#!/usr/bin/env bash
# Packs what scripts/gpu-run.sh needs on the GPU machine (x86_64 Linux, NVIDIA driver, no Rust,
# no network) from a machine without a GPU, into two git-ignored folders to carry there:
#
# - .gpu/bench-report.xz, .gpu/experiment.xz, .gpu/gpu_check.xz: release builds with burn's
#   `vulkan` feature (target-gpu/, or $CARGO_TARGET_DIR), stripped and xz-compressed;
# - .gpu/data/: the first $GPU_TRAIN_IMAGES (default 20000) Fashion-MNIST training images and
#   labels and the whole test set, as IDX files (what examples/configs/gpu.toml reads);
# - .gl/: the Debian packages of the Vulkan loader (libvulkan1 and the GL vendor libraries),
#   unpacked on the GPU machine by gpu-run.sh.
#
# The luminal CUDA programs are packed by scripts/build-luminal-cuda.sh.
#
# A cold build compiles wgpu and cubecl once per program (their dev-dependencies differ): about
# 20 minutes each on 2 cores; rebuilds after a change take under a minute.
#
# Needs: cargo, strip, xz, python3, apt-get; the Fashion-MNIST IDX files in $FASHION_MNIST_DIR
# (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target-gpu}"
out_dir="$root/.gpu"
mkdir -p "$out_dir"

# 1. The Vulkan programs.
pack() { # executable name
  strip -o "$out_dir/$2" "$1"
  xz -6 -f -T0 "$out_dir/$2"
  echo "packed $out_dir/$2.xz ($(du -h "$out_dir/$2.xz" | cut -f1))"
}
cargo build --release --locked -p subspace-benches --features vulkan --bin bench-report
pack "$CARGO_TARGET_DIR/release/bench-report" bench-report
cargo build --release --locked -p subspace-examples --features vulkan --bin experiment
pack "$CARGO_TARGET_DIR/release/experiment" experiment
cargo build --release --locked -p subspace-burn --features vulkan --example gpu_check
pack "$CARGO_TARGET_DIR/release/examples/gpu_check" gpu_check

# 2. The Fashion-MNIST subset: an IDX file is a big-endian header (magic, then one u32 per
# dimension) and the records; the subset rewrites the first dimension.
source_dir="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
mkdir -p "$out_dir/data"
python3 - "$source_dir" "$out_dir/data" "${GPU_TRAIN_IMAGES:-20000}" <<'PY'
import gzip, math, os, struct, sys

source, target, train = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, keep in [("train-images-idx3-ubyte", train), ("train-labels-idx1-ubyte", train),
                   ("t10k-images-idx3-ubyte", None), ("t10k-labels-idx1-ubyte", None)]:
    path = os.path.join(source, name + ".gz")
    with gzip.open(path) as f:
        data = f.read()
    rank = data[3]
    dims = list(struct.unpack(f">{rank}I", data[4:4 + 4 * rank]))
    record = math.prod(dims[1:])
    if keep is None or keep > dims[0]:
        keep = dims[0]
    body = data[4 + 4 * rank:4 + 4 * rank + keep * record]
    if len(body) != keep * record:
        sys.exit(f"{path}: truncated ({len(body)} bytes of records, expected {keep * record})")
    header = data[:4] + struct.pack(f">{rank}I", keep, *dims[1:])
    with gzip.open(os.path.join(target, name + ".gz"), "wb", compresslevel=9) as f:
        f.write(header + body)
    print(f"wrote {name}.gz: {keep} of {dims[0]} records")
PY

# 3. The Vulkan loader's packages, for the GPU machine's architecture (amd64).
mkdir -p "$root/.gl" /tmp/apt-amd64/partial
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/apt-amd64)
apt-get "${apt_opts[@]}" update -qq
(cd "$root/.gl" && apt-get "${apt_opts[@]}" download -qq \
  libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
ls "$root/.gl"
du -ch "$out_dir" "$root/.gl" | tail -n 1 # carry holds 64 MiB in all
