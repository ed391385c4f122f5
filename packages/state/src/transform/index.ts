export { forLoop, scan, checkpointedForLoop, checkpointedScan, type LoopOptions, type CheckpointedLoopOptions } from './loops.ts';
export { grad, vectorGrad, type GradOptions, type GradStates } from './grad.ts';
export { lastSavedBytes } from './grad-loop.ts';
export { runGraph, interpretGraph, runGraphProfile, type GraphInputs, type GraphOutputs, type RunGraphProfile } from './run-graph.ts';
export { jit, type Jitted } from './jit.ts';
export { traceCount, lastRun, graphsOf, traceStep, type Compiled, type CompilerOptions, type StepRequest, type Lowering, type RunOptions, type RunInfo } from './engine.ts';
