#!/usr/bin/env bash
# The main job: reproduce the claims of SPEC.md section 9 on real Fashion-MNIST.
# Installs the data set from Debian when it is missing, then runs the experiment (quick preset
# unless other flags are given; e.g. `--full` on a GPU build). Extra arguments go to the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq dataset-fashion-mnist
  else
    echo "Fashion-MNIST is missing. Install it with:" >&2
    echo "  sudo apt-get install -y dataset-fashion-mnist" >&2
    echo "or pass --data-dir DIR holding its IDX files." >&2
    exit 1
  fi
fi

if [ "$#" -eq 0 ]; then
  set -- --quick
fi
exec cargo run --release --locked -p subspace-examples --bin experiment -- "$@"
