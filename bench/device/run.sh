#!/usr/bin/env bash
# On the lent GPU machine (see bench/device/README.md): Spiketrace and JAX on the same GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
source .devcarry/gpu-env.sh
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
mkdir -p .devbuild/node_modules/webgpu/dist/linux-x64
[ -f .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc .devbuild/dawn.node.xz > .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node
out=${OUT:-/tmp/out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"
(cd .devbuild && timeout 400 node lif-gpu.mjs) > "$out/spiketrace.jsonl" 2> "$out/spiketrace.err"
grep -v '^Warning: max' "$out/spiketrace.err" | head -30; cat "$out/spiketrace.jsonl"
[ -n "${SKIP_JAX:-}" ] || timeout 180 python3 bench/device/lif_jax.py 2> "$out/jax.err" | tee "$out/jax.jsonl"
