import { SpiketraceError } from '@spiketrace/compiler';

/** A State was misused: read before initialization, or written with a value of another shape, dtype or unit. */
export class StateError extends SpiketraceError {
  override name = 'StateError';
}

/** A key was missing from the environment (`environ.get`). */
export class EnvironmentError extends SpiketraceError {
  override name = 'EnvironmentError';
}

/** A transform was called with arguments it cannot trace. */
export class TransformError extends SpiketraceError {
  override name = 'TransformError';
}
