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
export { eventCount } from './events.ts';
export { toFixedPoint, type FixedPointWeights } from './fixed-point.ts';
export { Random } from './random.ts';
export {
  Surrogate, Sigmoid, SoftSign, Arctan, ERF, PiecewiseQuadratic, PiecewiseExp, PiecewiseLeakyRelu, LeakyRelu, LogTailedRelu, ReluGrad,
  GaussianGrad, MultiGaussianGrad, InvSquareGrad, SlayerGrad, QPseudoSpike, S2NN, NonzeroSignLog, SquarewaveFourierSeries, type SpikeFunction,
} from './spike.ts';
export { detach } from './detach.ts';
export { Constant, Normal, initValue, type Initializer, type InitLike } from './init.ts';
export { expEulerStep } from './integrators.ts';
export { IF, ALIF, ExpIF, AdExIF, QuaIF, type IFOptions, type ALIFOptions, type ExpIFOptions, type AdExIFOptions, type QuaIFOptions } from './neurons-if.ts';
export { Izhikevich, type IzhikevichOptions } from './neurons-izhikevich.ts';
export { DualExpon, Alpha, AMPA, GABAa, BioNMDA, type DualExponOptions, type AlphaOptions, type AMPAOptions, type BioNMDAOptions } from './synapses-kinetic.ts';
export { STP, STD, type STPOptions, type STDOptions } from './synapses-stp.ts';
export { MgBlock, type MgBlockOptions } from './outputs-mgblock.ts';
export { PoissonSpike, PoissonInput, type PoissonSpikeOptions, type PoissonInputOptions } from './poisson.ts';
export { HH, Uniform, type HHOptions } from './neurons-hh.ts';
export { MorrisLecar, WangBuzsakiHH, type MorrisLecarOptions, type WangBuzsakiHHOptions } from './neurons-conductance.ts';
export { ExpIFRef, AdExIFRef, IzhikevichRef, type ExpIFRefOptions, type AdExIFRefOptions, type IzhikevichRefOptions } from './neurons-ref.ts';
export { Gif, GifRef, type GifOptions, type GifRefOptions } from './neurons-gif.ts';
export { DeltaProj, CurrentProj, AlignPreProj, type DeltaProjOptions, type CurrentProjOptions, type AlignPreProjOptions, type PreSynapse } from './projections-more.ts';
export { ConstantInput, StepInput, type ConstantInputOptions, type StepInputOptions } from './inputs.ts';
export {
  RampInput, SinusoidalInput, SquareInput, WienerProcess, OUProcess, SpikeTime, PoissonEncoder,
  type RampInputOptions, type SinusoidalInputOptions, type SquareInputOptions, type WienerProcessOptions, type OUProcessOptions,
  type SpikeTimeOptions, type PoissonEncoderOptions,
} from './inputs-more.ts';
export { Linear, AllToAll, FixedProb, KaimingNormal, type LinearOptions, type AllToAllOptions, type FixedProbOptions } from './comm-dense.ts';
export { delayed, StateDelay, DelayError, delaySteps } from './delay.ts';
export { LeakyRateReadout, type LeakyRateReadoutOptions } from './readout.ts';
