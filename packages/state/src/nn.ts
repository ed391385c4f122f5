export { Module, Dynamics, type InitOptions } from './module.ts';
export { initAllStates, resetAllStates } from './collective.ts';
