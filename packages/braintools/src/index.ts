/**
 * braintools in TypeScript: surrogate spike functions, initializers, optimizers and losses for
 * training spiking networks (the namespaces of chaobrain/braintools that brainpy.state uses).
 */
export * as surrogate from './surrogate.ts';
export * as init from './init.ts';
export * as optim from './optim.ts';
export * as metric from './metric.ts';
