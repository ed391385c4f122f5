/**
 * compile: a model -> a Bundle (versioned plain data that the runtime alone can run).
 *  1. initialize the model's States (batched when asked): their values are the bundle's initial values;
 *  2. trace one step with per-step input placeholders, under the given dt;
 *  3. lower it for `steps` steps with WebGPU's default limits, so the bundle runs on any device
 *     (or within `maxStorageBuffers` storage buffers per shader stage when a model needs more);
 *  4. record states, inputs, outputs, captured constants and the plan; hash the content.
 */
import { lower, Tensor, type TypedArray } from '@spiketrace/compiler';
import { BUNDLE_FORMAT, BUNDLE_VERSION, contentHash, encodeArray, type BundleManifest, type ElemType } from '@spiketrace/runtime';
import { environ, nn, transform, type ArrayValue, type State } from '@spiketrace/state';
import { isQuantity, Quantity } from '@spiketrace/units';
import { Bundle } from './bundle.ts';
import { VERSION } from './version.ts';

/** A model with its step spelled out: what `compile` and the CLI take. */
export interface ModelSpec {
  name: string;
  description?: string;
  /** The module tree that holds the States. */
  model: nn.Module;
  /** Per-step input examples: their shape, dtype and unit (the values do not matter). */
  inputs?: Record<string, ArrayValue>;
  /** One step: reads inputs, updates States, returns the values to record per step. */
  step(inputs: Record<string, ArrayValue>): Record<string, ArrayValue> | void;
  dt?: Quantity;
  steps?: number;
  batchSize?: number;
  /** The storage buffers per shader stage this model's plan may bind (see CompileOptions; default 8). */
  maxStorageBuffers?: number;
}

export interface CompileOptions {
  dt?: Quantity;
  steps?: number;
  batchSize?: number;
  /** For a plain Module: names (or path suffixes) of States to record every step. */
  outputs?: string[];
  /** For a plain Module: per-step inputs passed to `call()` in order. */
  inputs?: Record<string, ArrayValue>;
  lowering?: 'auto' | 'temporal-fusion' | 'dispatch-chain';
  name?: string;
  description?: string;
  /**
   * Storage buffers per shader stage the plan may bind (default 8, WebGPU's guaranteed limit, so
   * the bundle runs on every adapter). A step whose kernels need more (the COBA network's dispatch
   * chain) is compiled with a higher limit; `manifest.requires` records what it binds, and
   * BundleRunner refuses a device below that before any dispatch. Overrides the spec's own.
   */
  maxStorageBuffers?: number;
}

/** WebGPU's guaranteed limits: a bundle within them runs on every adapter. */
const PORTABLE_STORAGE_BUFFERS = 8;

function findState(model: nn.Module, name: string): State {
  const all = model.states();
  const exact = all.get(name);
  if (exact) return exact;
  const hits = [...all].filter(([p]) => p === name || p.endsWith(`.${name}`));
  if (hits.length === 1) return hits[0]![1];
  throw new Error(
    hits.length ? `output "${name}" is ambiguous: ${hits.map(([p]) => p).join(', ')}` : `the model has no State "${name}" (States: ${[...all.keys()].join(', ')})`,
  );
}

function asSpec(target: nn.Module | ModelSpec, opts: CompileOptions): ModelSpec {
  if (!(target instanceof nn.Module)) return target;
  const outputs = opts.outputs ?? [];
  const inputs = opts.inputs ?? {};
  return {
    name: opts.name ?? target.name,
    model: target,
    inputs,
    step: (ins) => {
      target.call(...Object.keys(inputs).map((k) => ins[k]));
      return Object.fromEntries(outputs.map((o) => [o, findState(target, o).value]));
    },
  };
}

function unitName(v: ArrayValue | undefined): string {
  return v && isQuantity(v) ? v.unit.name : '';
}

export async function compile(target: nn.Module | ModelSpec, opts: CompileOptions = {}): Promise<Bundle> {
  const spec = asSpec(target, opts);
  const dt = opts.dt ?? spec.dt;
  const steps = opts.steps ?? spec.steps;
  const batchSize = opts.batchSize ?? spec.batchSize;
  if (!dt) throw new Error(`compile ${spec.name}: give dt (e.g. { dt: u.ms(0.1) })`);
  if (!steps || !Number.isInteger(steps) || steps < 1) throw new Error(`compile ${spec.name}: steps must be a positive integer, got ${steps}`);
  const maxStorageBuffers = opts.maxStorageBuffers ?? spec.maxStorageBuffers ?? PORTABLE_STORAGE_BUFFERS;
  if (!Number.isInteger(maxStorageBuffers) || maxStorageBuffers < 1) {
    throw new Error(`compile ${spec.name}: maxStorageBuffers must be a positive integer, got ${maxStorageBuffers}`);
  }
  nn.initAllStates(spec.model, batchSize === undefined ? {} : { batchSize });
  const inputNames = Object.keys(spec.inputs ?? {});
  const examples = inputNames.map((k) => (spec.inputs ?? {})[k] as ArrayValue);
  // placeholders with a leading steps axis: only their types matter for tracing
  const perStep = examples.map((v) => {
    const m = isQuantity(v) ? v.mantissa : v;
    const t = Tensor.full([steps, ...m.shape], 0, m.dtype);
    return isQuantity(v) ? new Quantity(t, v.unit) : t;
  });
  let outputNames: string[] = [];
  let outputValues: ArrayValue[] = [];
  const fn = () => undefined;
  const traced = environ.context({ dt }, () => transform.traceStep({
    kind: 'forLoop', fn, steps, perStep, leadingAxis: true, carry: [], staticKey: spec.name, opts: {},
    body: (slices) => {
      const named = Object.fromEntries(inputNames.map((k, i) => [k, slices[i] as ArrayValue]));
      const out = spec.step(named) ?? {};
      outputNames = Object.keys(out);
      outputValues = Object.values(out);
      return { ys: outputValues, carry: [] };
    },
  }));
  const plan = lower(traced.graph, steps, { lowering: opts.lowering ?? 'auto', maxStorageBuffers });
  const written = new Set(traced.graph.outputs.filter((o) => o.kind === 'state').map((o) => o.index));
  const manifest: Omit<BundleManifest, 'hash'> = {
    format: BUNDLE_FORMAT, version: BUNDLE_VERSION, compiler: `spiketrace@${VERSION}`,
    name: spec.name, description: opts.description ?? spec.description ?? '',
    options: { dt: String(dt), steps, batchSize: batchSize ?? null, lowering: plan.lowering },
    states: traced.slots.map((s, slot) => {
      const v = s.hostValue as ArrayValue;
      const m = isQuantity(v) ? v.mantissa : v;
      return {
        name: s.name, kind: s.constructor.name, dtype: m.dtype as ElemType, shape: [...m.shape], unit: unitName(v),
        initial: encodeArray(m.dtype as ElemType, m.shape, m.data), slot, written: written.has(slot),
      };
    }),
    inputs: inputNames.map((name, index) => {
      const v = examples[index] as ArrayValue;
      const m = isQuantity(v) ? v.mantissa : v;
      return { name, dtype: m.dtype as ElemType, shape: [...m.shape], unit: unitName(v), index };
    }),
    outputs: outputNames.map((name, index) => {
      const v = outputValues[index] as ArrayValue;
      return { name, dtype: (isQuantity(v) ? v.mantissa : v).dtype as ElemType, shape: [...(traced.yShapes[index] ?? v.shape)], unit: unitName(v), index };
    }),
    captured: traced.captured.map((h) => encodeArray(h.dtype as ElemType, h.shape, h.data as TypedArray)),
    plan,
    requires: {
      maxStorageBuffersPerShaderStage: Math.max(0, ...plan.kernels.map((k) => k.bindings.length)),
      maxStorageBufferBindingSize: Math.max(16, ...plan.buffers.map((b) => b.elements * 4)),
      maxBufferSize: Math.max(16, ...plan.buffers.map((b) => b.elements * 4)),
    },
  };
  return new Bundle({ ...manifest, hash: await contentHash(manifest) });
}
