export * from './plan.ts';
export * from './device.ts';
export { Executable, type KernelTime, type RunInputs, type RunOptions, type RunProfile, type RunResult } from './executable.ts';
export { ResidentBuffer, type HostData } from './resident.ts';
export * from './bundle.ts';
export { BundleRunner, type BundleRunOptions, type UnitArray } from './bundle-runner.ts';
export { gpuMemoryStats, resetGpuMemoryPeak, type GpuMemoryStats } from './memory.ts';
