/**
 * A Graph is one traced step: an SSA list of nodes (inputs first, in recording order) and the
 * outputs that give them meaning: state writes, per-step results, scan carries.
 */
import type { DType } from './dtype.ts';
import type { Node } from './node.ts';
import type { InputSource } from './ops.ts';
import { shapeStr } from './shape.ts';

export type GraphOutput =
  | { kind: 'state'; index: number; name: string; node: number }
  | { kind: 'y'; index: number; node: number }
  | { kind: 'carry'; index: number; node: number };

export class Graph {
  constructor(
    readonly nodes: readonly Node[],
    readonly outputs: readonly GraphOutput[],
    readonly name = 'step',
  ) {}

  node(id: number): Node {
    const n = this.nodes[id];
    if (!n || n.id !== id) throw new Error(`graph ${this.name}: no node %${id}`);
    return n;
  }

  inputs(): Node<'input'>[] {
    return this.nodes.filter((n): n is Node<'input'> => n.op === 'input');
  }

  toString(): string {
    const lines = [`graph ${this.name} {`];
    for (const n of this.nodes) lines.push(`  ${formatNode(n)}`);
    for (const o of this.outputs) lines.push(`  ${formatOutput(o)}`);
    lines.push('}');
    return lines.join('\n');
  }
}

export function typeStr(dtype: DType, shape: readonly number[]): string {
  return `${dtype}${shapeStr(shape)}`;
}

export function formatSource(s: InputSource): string {
  return s.kind === 'state' ? `state#${s.index} "${s.name}"` : `${s.kind}#${s.index}`;
}

function formatArg(n: Node): string {
  switch (n.op) {
    case 'input': return ` ${formatSource((n as Node<'input'>).arg)}`;
    case 'const': return ` ${fmtNum((n as Node<'const'>).arg.value)}`;
    default: {
      if (n.arg === null) return '';
      return ` ${JSON.stringify(n.arg).replace(/"/g, '')}`;
    }
  }
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.fround(v));
}

export function formatNode(n: Node): string {
  const src = n.src.map((s) => `%${s}`).join(', ');
  return `%${n.id}: ${typeStr(n.dtype, n.shape)} = ${n.op}${formatArg(n)}${src ? ` ${src}` : ''}`;
}

export function formatOutput(o: GraphOutput): string {
  const what = o.kind === 'state' ? `state#${o.index} "${o.name}"` : `${o.kind}#${o.index}`;
  return `out ${what} <- %${o.node}`;
}

/**
 * Rebuild a graph keeping `keep` nodes (in order) and renumbering densely; `remap` maps old ids
 * to new ones for the outputs. Used by passes that delete or replace nodes.
 */
export function compact(g: Graph, nodes: readonly Node[], outputs: readonly GraphOutput[]): Graph {
  const ids = new Map<number, number>();
  const out: Node[] = [];
  for (const n of nodes) {
    const id = out.length;
    ids.set(n.id, id);
    out.push({ ...n, id, src: n.src.map((s) => mustGet(ids, s, n)) });
  }
  const outs = outputs.map((o) => ({ ...o, node: mustGet(ids, o.node, undefined) }));
  return new Graph(out, outs, g.name);
}

function mustGet(m: Map<number, number>, k: number, user: Node | undefined): number {
  const v = m.get(k);
  if (v === undefined) throw new Error(`compact: %${k} used${user ? ` by %${user.id}` : ''} was removed`);
  return v;
}
