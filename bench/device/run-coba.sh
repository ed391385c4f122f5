#!/usr/bin/env bash
# On the lent GPU machine: the COBA network under each lowering (see bench/device/README.md).
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
(cd .devbuild && timeout 500 node coba-gpu.mjs) > "$out/coba.jsonl" 2> "$out/coba.err"
grep -v '^Warning: max' "$out/coba.err" | head -20; cat "$out/coba.jsonl"
