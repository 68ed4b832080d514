#!/usr/bin/env bash
# Every GPU check of the project in one run, on the device machine (NVIDIA H100, no Rust, no
# network). Inputs travel in .gpu/ (release binaries, stripped and xz-compressed, and a
# Fashion-MNIST subset in .gpu/data) and .gl/ (the Vulkan loader's Debian packages), both packed
# on a machine without a GPU by scripts/build-gpu.sh (and scripts/build-luminal-cuda.sh for the
# luminal CUDA programs). Results go to $OUT (default ./gpu-out).
#
#   bash scripts/gpu-run.sh
#   GPU_STEPS="bench-steps bench-kernels" BENCH_SECONDS=240 bash scripts/gpu-run.sh
#
# Limits in seconds: BURN_SECONDS, BENCH_SECONDS (each half of the report), EXPERIMENT_SECONDS;
# extra arguments: BENCH_ARGS, EXPERIMENT_ARGS; GPU_DIR: the folder of the packed Vulkan programs
# (default .gpu; another build of them, e.g. with burn's fusion, can travel beside it).
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
for x in "${GPU_DIR:-.gpu}"/*.xz; do
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

# The checks, in the order named by GPU_STEPS (default: all); a check whose program was not
# packed is skipped. The bench report runs twice, step overhead then kernels, each writing its
# own Markdown: a run stopped by its limit loses only its own half.
for check in ${GPU_STEPS:-burn-gpu-check luminal-cuda bench-steps bench-kernels experiment}; do
  case $check in
    burn-gpu-check)
      [ -x "$bin/gpu_check" ] && step "$check" "${BURN_SECONDS:-120}" "$bin/gpu_check" "$OUT" ;;
    luminal-cuda)
      [ -x "$bin/luminal-cuda-conformance" ] && step "$check" 100 bash scripts/run-luminal-cuda.sh ;;
    bench-steps | bench-kernels)
      skip=--no-kernels
      [ "$check" = bench-kernels ] && skip=--no-steps
      [ -x "$bin/bench-report" ] && step "$check" "${BENCH_SECONDS:-150}" \
        sh -c "'$bin/bench-report' --no-cpu $skip ${BENCH_ARGS:-} > '$OUT/$check.md'" ;;
    experiment)
      if [ -x "$bin/experiment" ]; then
        run=$(mktemp -d)/gpu-resnet20
        step "$check" "${EXPERIMENT_SECONDS:-300}" "$bin/experiment" \
          --config examples/configs/gpu.toml --data-dir .gpu/data --out "$run" ${EXPERIMENT_ARGS:-}
        tar -C "$(dirname "$run")" -czf "$OUT/experiment.tar.gz" gpu-resnet20
      fi ;;
    *) echo "unknown GPU_STEPS entry '$check' (expected burn-gpu-check, luminal-cuda, bench-steps, bench-kernels or experiment)" ;;
  esac
done
