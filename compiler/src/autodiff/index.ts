export { GradError, gradGraph, vjpGraph, type OutputCotangent, type VjpResult } from './vjp-graph.ts';
export { broadcastTo, keepReduced, unbroadcast } from './unbroadcast.ts';
export { GradTape, activeTape, type CallEntry } from './tape.ts';
