/** brainpy.state in TypeScript: neuron models and their building blocks. */
export { Dynamics, type Input, type InputFn } from './dynamics.ts';
export { Neuron, type NeuronOptions, type SpikeReset } from './neuron.ts';
export { LIF, type LIFOptions } from './lif.ts';
export { LIFRef, type LIFRefOptions } from './lifref.ts';
export { Expon, type ExponOptions } from './synapses.ts';
export { SynOut, COBA, CUBA, type COBAOptions, type CUBAOptions } from './synouts.ts';
export { EventFixedProb, type EventFixedProbOptions } from './comm.ts';
export { AlignPostProj, type AlignPostProjOptions, type AlignPostSynapse, type Comm } from './projections.ts';
export { ParamDescriber } from './describe.ts';
export { eventCount, nativeEventCount } from './events.ts';
export { Random } from './random.ts';
export { ReluGrad, InvSquareGrad, type SpikeFunction } from './spike.ts';
export { Constant, Normal, initValue, type Initializer, type InitLike } from './init.ts';
export { expEulerStep } from './integrators.ts';
