/** Text summaries of a bundle manifest shared by compile, run and inspect. */
import { planRounds, type BundleManifest, type Plan } from '@spiketrace/runtime';

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]} (${n.toLocaleString('en-US')} B)`;
}

/** Bytes of GPU memory the plan allocates (ping-pong buffers twice). */
export function bufferBytes(plan: Plan): number {
  return plan.buffers.reduce((a, b) => a + Math.max(4, b.elements * 4) * (b.pingPong ? 2 : 1), 0);
}

export function dispatchesText(plan: Plan): string {
  const k = plan.kernels.length;
  const total = k * planRounds(plan);
  if (plan.stepsPerRound === 1) return `${k} per step (${total} for ${plan.steps} steps)`;
  return `${k} per ${plan.stepsPerRound} steps (${total} for ${plan.steps} steps)`;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function unitText(unit: string): string {
  return unit === '' ? 'no unit' : unit === '1' ? 'dimensionless' : unit;
}

/** Indented rows for states, inputs and outputs. */
export function interfaceLines(m: BundleManifest): string[] {
  const lines: string[] = [];
  const row = (name: string, dtype: string, shape: number[], unit: string, extra = '') =>
    `    ${name}: ${dtype}${shapeText(shape)} ${unitText(unit)}${extra}`;
  lines.push(`  states (${m.states.length}):`);
  for (const s of m.states) lines.push(row(s.name, s.dtype, s.shape, s.unit, ` (${s.kind}${s.written ? ', written' : ', read-only'})`));
  lines.push(`  inputs (${m.inputs.length}) per step:`);
  for (const i of m.inputs) lines.push(row(i.name, i.dtype, i.shape, i.unit));
  lines.push(`  outputs (${m.outputs.length}) per step:`);
  for (const o of m.outputs) lines.push(row(o.name, o.dtype, o.shape, o.unit));
  return lines;
}

export function summaryLines(m: BundleManifest): string[] {
  const p = m.plan;
  return [
    `bundle ${m.name} (${m.compiler}, hash ${m.hash.slice(0, 12)})`,
    `  steps ${m.options.steps}, dt ${m.options.dt}, batch ${m.options.batchSize ?? 'none'}, lowering ${p.lowering}`,
    `  kernels: ${p.kernels.length} (${p.kernels.map((k) => k.name).join(', ')})`,
    `  dispatches: ${dispatchesText(p)}`,
    `  buffers: ${p.buffers.length}, ${bytes(bufferBytes(p))}`,
    ...interfaceLines(m),
  ];
}
