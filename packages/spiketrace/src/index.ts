/**
 * Spiketrace: brain-dynamics models written with States, units and a step function, traced,
 * compiled to WGSL and run on WebGPU.
 *
 * @example
 * import { u, brainstate, brainpy } from 'spiketrace';
 * const neuron = new brainpy.LIF(1, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard' });
 * brainstate.nn.initAllStates(neuron);
 */
export * as u from '@spiketrace/units';
export * as brainstate from '@spiketrace/state';
export * as brainpy from '@spiketrace/models';
export * as braintools from '@spiketrace/braintools';
export { releaseDevice, setIdleRelease, acquireDevice, doneWithDevice } from '@spiketrace/runtime';
export { compile, type ModelSpec, type CompileOptions } from './compile.ts';
export { Bundle } from './bundle.ts';
export { BundleRunner, BundleError, type BundleManifest } from '@spiketrace/runtime';
export { VERSION } from './version.ts';
export { writeBundleModule, type WriteModuleOptions } from '@spiketrace/compiler';
