#!/usr/bin/env bash
# The main job: reproduce the claims of SPEC.md section 9 on real Fashion-MNIST.
# Installs the data set from Debian when it is missing, then runs the experiment (quick preset
# unless other flags are given; e.g. `--full` on a GPU build). Extra arguments go to the binary.
# With --help/-h, --version/-V, --data-dir or --config the data set is neither checked nor
# installed: the binary answers, or reads the data (or the config's data) from where it is told.
set -euo pipefail
cd "$(dirname "$0")/.."

needs_fashion_mnist=1
for arg in "$@"; do
  case "$arg" in
    -h | --help | -V | --version | --data-dir | --data-dir=* | --config | --config=*)
      needs_fashion_mnist=0
      ;;
  esac
done

if [ "$needs_fashion_mnist" -eq 1 ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
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
