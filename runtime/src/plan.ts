/**
 * A Plan is what the compiler hands the runtime: plain, JSON-serializable data naming every
 * buffer, every kernel's WGSL and bindings, and how rounds of kernels cover the time loop.
 * The runtime never imports the compiler; this file is the whole contract between them.
 */

export type ElemType = 'f32' | 'i32' | 'u32' | 'bool';

export type BufferRole =
  | 'state'    // a State's value, resident between calls
  | 'carry'    // a scan carry leaf
  | 'xs'       // a looped operand, all steps: [T, ...slice]
  | 'ys'       // a stacked per-step result: [T, ...slice]
  | 'captured' // a concrete array captured by the trace, uploaded once
  | 'temp';    // a value materialized between phases of one step

export interface PlanBuffer {
  id: number;
  name: string;
  role: BufferRole;
  /** Which state slot / xs operand / result / carry / captured array this is. */
  index: number;
  dtype: ElemType;
  /** Shape of one step's value (the whole array for states, captured and temps). */
  shape: number[];
  /** Elements in the buffer: T * size(shape) for xs and ys. */
  elements: number;
  /** Written by the step while also read: two copies that swap after every round. */
  pingPong: boolean;
  /**
   * Persistent-workgroup plans pack non-State buffers into one arena buffer (a shader binds few
   * buffers): this buffer's elements live at `offset` (32-bit words) inside buffer `arena`. The
   * runtime uploads xs and captured data there and reads ys back from there.
   */
  arena?: { buffer: number; offset: number };
}

export interface PlanBinding {
  binding: number;
  buffer: number;
  /** 'cur' = the copy holding the value at round entry, 'next' = the copy written this round. */
  side: 'cur' | 'next' | 'only';
  access: 'read' | 'read_write';
}

export interface PlanKernel {
  name: string;
  wgsl: string;
  workgroupSize: number;
  /** Invocations needed (one per element of the iteration shape). */
  invocations: number;
  /** Binding 0 is always the round uniform { t0: u32, count: u32 }; these follow. */
  bindings: PlanBinding[];
}

export type Lowering = 'temporal-fusion' | 'dispatch-chain' | 'persistent-workgroup';

export interface Plan {
  format: 'spiketrace-plan';
  version: 1;
  lowering: Lowering;
  /** Time steps T covered by one run. */
  steps: number;
  /** Steps one round covers: 1 for the dispatch chain, a chunk for temporal fusion and the persistent workgroup. */
  stepsPerRound: number;
  /** Rounds encoded per command buffer (and per submit). */
  roundsPerSubmit: number;
  buffers: PlanBuffer[];
  /** Run in this order in every round. */
  kernels: PlanKernel[];
  /** Buffers copied back to the host once, after the last round. */
  readback: number[];
}

export function planRounds(plan: Plan): number {
  return Math.ceil(plan.steps / plan.stepsPerRound);
}

/** Human-readable summary, one line per kernel (for inspect and error messages). */
export function describePlan(plan: Plan): string {
  const rounds = planRounds(plan);
  const lines = [
    `plan ${plan.lowering}: ${plan.steps} steps in ${rounds} rounds of ${plan.stepsPerRound}, ` +
      `${plan.kernels.length} kernel(s) per round, ${plan.kernels.length * rounds} dispatches`,
  ];
  for (const b of plan.buffers) {
    lines.push(`  buffer #${b.id} ${b.role}#${b.index} "${b.name}" ${b.dtype}[${b.shape.join(', ')}] x${b.elements}${b.pingPong ? ' ping-pong' : ''}`);
  }
  for (const k of plan.kernels) {
    const bs = k.bindings.map((b) => `@${b.binding}=#${b.buffer}${b.side === 'only' ? '' : `.${b.side}`}`).join(' ');
    lines.push(`  kernel ${k.name}: ${k.invocations} invocations; ${bs}`);
  }
  return lines.join('\n');
}
