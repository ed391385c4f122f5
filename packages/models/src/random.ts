/** The seeded host generator lives with brainstate (its dense layer initializes from it). */
export { Random } from '@spiketrace/state';
