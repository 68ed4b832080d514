#!/usr/bin/env bash
# Runs on the GPU machine what scripts/build-luminal-cuda.sh packed into .gpu/: the luminal MLP
# and the conformance suite on luminal's CUDA target, then the conformance CLI's table.
#
#   bash scripts/run-luminal-cuda.sh          (from the repository root, .gpu/ present)
#
# The driver and CUDA libraries must be in the folders below; NVRTC kernels include
# cuda_fp16.h from /usr/local/cuda/include.
set -uo pipefail
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="/usr/local/nvidia/lib64:/usr/local/cuda/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bin="$(mktemp -d)"
unpack() {
  if command -v xz > /dev/null; then
    xz -dc ".gpu/$1.xz" > "$bin/$1"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' ".gpu/$1.xz" "$bin/$1"
  fi
  chmod +x "$bin/$1"
}
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
for test in mlp conformance; do
  unpack "luminal-cuda-$test"
  echo "== luminal-cuda-$test (CUDA tests)"
  "$bin/luminal-cuda-$test" cuda --test-threads=1 || status=1
done
if [ -f .gpu/subspace-conformance-luminal-cuda.xz ]; then
  unpack subspace-conformance-luminal-cuda
  echo "== conformance CLI"
  "$bin/subspace-conformance-luminal-cuda" || status=1
fi
exit "$status"
