export { forLoop, scan, type LoopOptions } from './loops.ts';
export { jit, type Jitted } from './jit.ts';
export { traceCount, lastRun, graphsOf, traceStep, type Compiled, type StepRequest, type Lowering, type RunOptions, type RunInfo } from './engine.ts';
