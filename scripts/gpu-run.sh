#!/usr/bin/env bash
# Every GPU check of the project in one run, on the device machine (NVIDIA H100, no Rust, no
# network). Inputs travel in .gpu/ (release binaries, stripped and xz-compressed, and a
# Fashion-MNIST subset in .gpu/data) and .gl/ (the Vulkan loader's Debian packages), both packed
# on a machine without a GPU by scripts/build-gpu.sh (and scripts/build-luminal-cuda.sh for the
# luminal CUDA programs). Results go to $OUT (default ./gpu-out).
#
#   bash scripts/gpu-run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
log="$OUT/gpu-run.log"
exec > >(tee -a "$log") 2>&1

# Vulkan loader (burn's vulkan backend) and the NVIDIA ICD.
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

bin=$(mktemp -d)
for x in .gpu/*.xz; do
  name=$(basename "$x" .xz)
  xz -dc "$x" > "$bin/$name" && chmod +x "$bin/$name"
done
ls -la "$bin"

step() { # name seconds command...
  local name=$1 seconds=$2; shift 2
  echo "== $name ($(date -u +%T), limit ${seconds}s)"
  local start=$SECONDS
  timeout "$seconds" "$@"
  echo "== $name: exit $? after $((SECONDS - start))s"
}

[ -x "$bin/gpu_check" ] && step burn-gpu-check "${BURN_SECONDS:-120}" "$bin/gpu_check" "$OUT"
[ -x "$bin/luminal-cuda-conformance" ] && step luminal-cuda 100 bash scripts/run-luminal-cuda.sh
[ -x "$bin/bench-report" ] && step bench-report "${BENCH_SECONDS:-150}" \
  sh -c "'$bin/bench-report' --no-cpu ${BENCH_ARGS:-} > '$OUT/bench-gpu.md'"
if [ -x "$bin/experiment" ]; then
  run=$(mktemp -d)/gpu-resnet20
  step experiment "${EXPERIMENT_SECONDS:-300}" "$bin/experiment" --config examples/configs/gpu.toml \
    --data-dir .gpu/data --out "$run" ${EXPERIMENT_ARGS:-}
  tar -C "$(dirname "$run")" -czf "$OUT/experiment.tar.gz" gpu-resnet20
fi
