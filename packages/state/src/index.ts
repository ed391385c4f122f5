/**
 * brainstate in TypeScript: State containers, Modules, the environment, and transforms.
 */
export { State, ShortTermState, HiddenState, LongTermState, ParamState, type StateOptions } from './state.ts';
export { StateError, EnvironmentError, TransformError } from './errors.ts';
export type { ArrayValue } from './value.ts';
export type { Tree } from './tree.ts';
export * as environ from './environ.ts';
export * as nn from './nn.ts';
export * as transform from './transform/index.ts';
export type { GradStates, GradOptions } from './transform/grad.ts';
export type { Lowering } from './transform/engine.ts';
export { Random } from './random.ts';
export { Linear, KaimingNormal, type LinearOptions, type Initializer as LinearInitializer } from './linear.ts';
