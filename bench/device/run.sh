#!/usr/bin/env bash
# On the lent GPU machine (see bench/device/README.md): Spiketrace and JAX on the same GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
source .devcarry/gpu-env.sh
mkdir -p .devbuild/node_modules/webgpu/dist/linux-x64
[ -f .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc .devbuild/dawn.node.xz > .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node
out=${OUT:-/tmp/out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"
(cd .devbuild && timeout 400 node lif-gpu.mjs) 2>&1 | grep -v '^Warning' | tee "$out/spiketrace.jsonl"
timeout 180 python3 bench/device/lif_jax.py 2>&1 | grep -v 'Warning\|warn(' | tee "$out/jax.jsonl"
