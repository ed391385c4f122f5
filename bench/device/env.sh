# Sourced by run.sh and run-coba.sh on the lent GPU machine: the GL/Vulkan loaders the NVIDIA
# Vulkan driver needs (.gl/), Node and libvulkan (.devcarry/), Dawn's binary (.devbuild/), and $out.
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
source .devcarry/gpu-env.sh
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
mkdir -p .devbuild/node_modules/webgpu/dist/linux-x64
[ -f .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc .devbuild/dawn.node.xz > .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node
out=${OUT:-/tmp/out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"
