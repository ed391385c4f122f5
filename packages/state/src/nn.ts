export { Module, Dynamics, type InitOptions } from './module.ts';
export { initAllStates, resetAllStates } from './collective.ts';
export { Linear, type LinearOptions } from './linear.ts';
