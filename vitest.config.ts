import { defineConfig } from 'vitest/config';

// Dawn (npm `webgpu`) must run in a real process, not a worker thread: pool 'forks'.
// On a machine without a GPU, WebGPU runs on the CPU through Mesa's lavapipe, so GPU tests
// are slow and CPU-hungry: a generous timeout, and at most two test files at once.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', '{compiler,runtime,kernels}/**/*.test.ts', 'packages/*/{src,test,tests}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    env: {
      // Mesa prints "XDG_RUNTIME_DIR is invalid or not set" without it.
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp',
    },
  },
});
