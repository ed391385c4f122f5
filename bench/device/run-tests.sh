#!/usr/bin/env bash
# On the lent GPU machine: the GPU differential tests (every WGSL path against the CPU reference)
# on the real adapter instead of lavapipe. Needs .devtest/nm.tar.xz (node_modules without Dawn's
# binaries, TypeScript and the plotting and browser packages; see bench/device/README.md) carried
# with .devcarry, .devbuild and .gl. Args: the test paths (default: tests/gpu tests/models
# tests/autodiff tests/state).
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
tar -xJf .devtest/nm.tar.xz
mkdir -p node_modules/webgpu/dist/linux-x64
cp .devbuild/node_modules/webgpu/dist/linux-x64/dawn.node node_modules/webgpu/dist/linux-x64/
# the tests print the adapter they ran on through lastRun().device; say it once here
node -e "import('webgpu').then(async ({create}) => { const a = await create([]).requestAdapter(); console.log('adapter:', a.info.vendor, a.info.description || a.info.architecture); process.exit(0); })"
timeout "${TEST_TIMEOUT:-400}" node node_modules/vitest/vitest.mjs run ${@:-tests/gpu tests/models tests/autodiff tests/state} \
  --maxWorkers=8 --reporter=dot > "$out/tests.log" 2>&1
echo "vitest exit: $?"
grep -v '^Warning: max' "$out/tests.log" | tail -60
