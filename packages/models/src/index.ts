/** brainpy.state in TypeScript: neuron models and their building blocks. */
export { Dynamics, type Input, type InputFn } from './dynamics.ts';
export { Neuron, type NeuronOptions, type SpikeReset } from './neuron.ts';
export { LIF, type LIFOptions } from './lif.ts';
export { ReluGrad, InvSquareGrad, type SpikeFunction } from './spike.ts';
export { Constant, initValue, type Initializer, type InitLike } from './init.ts';
export { expEulerStep } from './integrators.ts';
