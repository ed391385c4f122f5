/**
 * Bindings: the binding table of one shader, and where each buffer an emitted body touches lives
 * (its own binding, a range of an arena, a workgroup array or per-invocation registers), with the
 * record of which buffers a body reads and writes, at its own element or elsewhere (the
 * schedulers in schedule.ts place barriers and loops from it).
 */
import type { DType } from '../ir/dtype.ts';
import { wgslStorageType, wgslType } from '../ir/dtype.ts';
import type { PlanBinding, PlanBuffer } from '@spiketrace/runtime';

/** Two kernels sharing a binding table would declare one buffer with different element types. */
export class BindingConflict extends Error {}

/** Where a buffer lives inside an arena (one binding holding several buffers as 32-bit words). */
export interface ArenaSlot {
  arena: PlanBuffer;
  offset: number;
  atomic: boolean;
}

/**
 * The bindings of one shader: buffer (and ping-pong side) -> `b<k>` declarations. A buffer in
 * `atomic` (an event_count target in a persistent shader) is declared `array<atomic<i32>>` and
 * every access to it goes through atomicLoad / atomicStore. A buffer in `arenas` is a range of an
 * arena binding (`array<u32>`, or `array<atomic<i32>>` for atomic arenas): reads and writes bitcast
 * through it, which is how a persistent shader stays within the device's storage-buffer limit.
 */
export class Bindings {
  readonly list: PlanBinding[] = [];
  readonly decls: string[] = [];
  /** `var<workgroup>` declarations (persistent shader only). */
  readonly shared: string[] = [];
  #names = new Map<string, string>();
  #atomicNames = new Set<string>();
  /** Token of an arena range -> [arena binding name, offset, atomic]. */
  #ranges = new Map<string, [string, number, boolean]>();
  /** Buffers ("id:side") the body being emitted reads and writes (for barrier placement). */
  #reads = new Set<string>();
  #writes = new Set<string>();
  /** Of those, the ones accessed at the invocation's own element `i`, and at any other element. */
  #atOwn = new Set<string>();
  #atOther = new Set<string>();
  /** Declared name or arena token -> the buffer key it stands for. */
  #keyOf = new Map<string, string>();

  /** Start recording one body's accesses; `end()` returns them. */
  begin(): void {
    this.#reads = new Set();
    this.#writes = new Set();
    this.#atOwn = new Set();
    this.#atOther = new Set();
  }

  /**
   * The body's accesses. `nonLocal`: buffers it touches anywhere but at its own element `i`
   * (or through a name whose accesses were not seen): in the persistent shader, where invocation
   * `i` of every kernel runs on the same thread, only those need a barrier against another kernel.
   */
  end(): { reads: Set<string>; writes: Set<string>; nonLocal: Set<string> } {
    const nonLocal = new Set<string>();
    for (const k of [...this.#reads, ...this.#writes]) if (this.#atOther.has(k) || !this.#atOwn.has(k)) nonLocal.add(k);
    return { reads: this.#reads, writes: this.#writes, nonLocal };
  }

  /**
   * A workgroup variable: declared once, and recorded as read and written by the body being
   * emitted, never at its own element (every invocation shares it).
   */
  workgroupVar(name: string, type: string): string {
    const decl = `var<workgroup> ${name}: ${type};`;
    if (!this.shared.includes(decl)) this.shared.push(decl);
    const key = `wg:${name}`;
    this.#reads.add(key);
    this.#writes.add(key);
    this.#atOther.add(key);
    return name;
  }

  /** A register array holds the invocation's own elements only: element i is slot m. */
  #own(arr: string, idx: string): string {
    if (idx !== 'i') throw new Error(`emit: register array ${arr} read at ${idx}, not at the invocation's own element`);
    return 'm';
  }

  #note(arr: string, idx: string): void {
    const key = this.#keyOf.get(arr);
    if (key) (idx === 'i' ? this.#atOwn : this.#atOther).add(key);
  }

  /** Register arrays standing for buffers (see PrivateBuffer): their names. */
  #privateNames = new Set<string>();

  constructor(
    readonly atomic: ReadonlySet<number> = new Set(),
    readonly arenas: ReadonlyMap<number, ArenaSlot> = new Map(),
    /** Buffers that live in per-invocation register arrays (persistent shader): buffer id -> base name. */
    readonly registers: ReadonlyMap<number, string> = new Map(),
    /** i32 buffers that live in workgroup memory as atomics (persistent shader: event counts): id -> name. */
    readonly workgroupArrays: ReadonlyMap<number, string> = new Map(),
  ) {}

  /** Names of workgroup arrays standing for buffers (accessed through atomics). */
  #sharedNames = new Set<string>();

  /**
   * `elem` overrides the WGSL element type of the binding (`atomic<i32>` for a scatter target).
   * A buffer in `registers` gets its register array instead (`p<id>a`/`p<id>b` for a State's two
   * copies, cur and next; `p<id>` otherwise), indexed by the loop counter `m`; `storage` forces the
   * buffer's binding (to fill the registers or write them back).
   */
  name(b: PlanBuffer, side: PlanBinding['side'], access: PlanBinding['access'], elem?: string, untracked = false, storage = false): string {
    // an arena range counts as its own buffer: kernels on different ranges do not conflict
    if (!untracked) (access === 'read' ? this.#reads : this.#writes).add(`${b.id}:${side}`);
    const wga = storage ? undefined : this.workgroupArrays.get(b.id);
    if (wga !== undefined) {
      if (b.dtype !== 'i32') throw new Error(`emit: workgroup array for ${b.dtype} buffer "${b.name}" (only i32 counts)`);
      const decl = `var<workgroup> ${wga}: array<atomic<i32>, ${b.elements}>;`;
      if (!this.shared.includes(decl)) this.shared.push(decl);
      this.#sharedNames.add(wga);
      this.#keyOf.set(wga, `${b.id}:${side}`);
      return wga;
    }
    const reg = storage ? undefined : this.registers.get(b.id);
    if (reg !== undefined) {
      const nm = side === 'only' ? reg : `${reg}${side === 'cur' ? 'a' : 'b'}`;
      this.#privateNames.add(nm);
      this.#keyOf.set(nm, `${b.id}:${side}`);
      return nm;
    }
    const slot = this.arenas.get(b.id);
    if (slot) {
      const arr = this.name(slot.arena, 'only', slot.atomic || access === 'read_write' ? 'read_write' : 'read', slot.atomic ? 'atomic<i32>' : 'u32', true);
      const token = `${arr}@${slot.offset}`;
      this.#ranges.set(token, [arr, slot.offset, slot.atomic]);
      this.#keyOf.set(token, `${b.id}:${side}`);
      return token;
    }
    const nm = this.#bindingName(b, side, access, elem);
    if (!untracked) this.#keyOf.set(nm, `${b.id}:${side}`);
    return nm;
  }

  /**
   * The buffer's own binding (or arena range) even when kernels see it as registers or workgroup
   * memory: for filling registers before the first step and writing them back after the last.
   * Not recorded as an access of the body being emitted.
   */
  storage(b: PlanBuffer, side: PlanBinding['side'], access: PlanBinding['access']): string {
    return this.name(b, side, access, undefined, true, true);
  }

  #bindingName(b: PlanBuffer, side: PlanBinding['side'], access: PlanBinding['access'], elem?: string): string {
    const key = `${b.id}:${side}`;
    const atomic = this.atomic.has(b.id);
    if (atomic) access = 'read_write';
    const prev = this.#names.get(key);
    if (prev && (atomic || (elem?.startsWith('atomic') ?? false)) !== this.#atomicNames.has(prev)) {
      // one shader cannot see a buffer both as atomics and as plain values
      throw new BindingConflict(`buffer "${b.name}" (${side}) is bound both as atomics and as plain values`);
    }
    if (prev) {
      const entry = this.list.find((e) => `${e.buffer}:${e.side}` === key)!;
      if (access === 'read_write' && entry.access === 'read') {
        entry.access = 'read_write';
        const idx = this.decls.findIndex((d) => d.includes(` ${prev}:`));
        this.decls[idx] = this.decls[idx]!.replace('<storage, read>', '<storage, read_write>');
      }
      return prev;
    }
    const binding = this.list.length + 1;
    const nm = `b${binding}`;
    this.list.push({ binding, buffer: b.id, side, access });
    this.decls.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${nm}: array<${atomic ? 'atomic<i32>' : (elem ?? wgslStorageType(b.dtype))}>;`);
    this.#names.set(key, nm);
    if (atomic || elem?.startsWith('atomic')) this.#atomicNames.add(nm);
    return nm;
  }

  load(arr: string, idx: string, dtype: DType): string {
    this.#note(arr, idx);
    if (this.#privateNames.has(arr)) return `${arr}[${this.#own(arr, idx)}]`;
    if (this.#sharedNames.has(arr)) return `atomicLoad(&${arr}[${idx}])`;
    const r = this.#ranges.get(arr);
    if (r) {
      const [a, off, atomic] = r;
      const at = `${a}[${off}u + ${idx}]`;
      if (atomic) {
        if (dtype === 'i32') return `atomicLoad(&${at})`;
        return dtype === 'bool' ? `(atomicLoad(&${at}) != 0)` : `bitcast<${wgslType(dtype)}>(atomicLoad(&${at}))`;
      }
      return dtype === 'bool' ? `(${at} != 0u)` : dtype === 'u32' ? at : `bitcast<${wgslType(dtype)}>(${at})`;
    }
    if (this.#atomicNames.has(arr)) return `atomicLoad(&${arr}[${idx}])`;
    return loadExpr(arr, idx, dtype);
  }

  store(arr: string, idx: string, v: string, dtype: DType): string {
    this.#note(arr, idx);
    if (this.#privateNames.has(arr)) return `${arr}[${this.#own(arr, idx)}] = ${v};`;
    if (this.#sharedNames.has(arr)) return `atomicStore(&${arr}[${idx}], ${v});`;
    const r = this.#ranges.get(arr);
    if (r) {
      const [a, off, atomic] = r;
      const at = `${a}[${off}u + ${idx}]`;
      if (atomic) return `atomicStore(&${at}, ${dtype === 'i32' ? v : `bitcast<i32>(${storeValue(v, dtype)})`});`;
      return `${at} = ${dtype === 'bool' ? storeValue(v, dtype) : dtype === 'u32' ? v : `bitcast<u32>(${v})`};`;
    }
    if (this.#atomicNames.has(arr)) return `atomicStore(&${arr}[${idx}], ${v});`;
    return `${arr}[${idx}] = ${storeValue(v, dtype)};`;
  }

  /** `atomicAdd` on an i32 element of an atomic binding or atomic arena range. */
  atomicAdd(arr: string, idx: string, v: string): string {
    this.#note(arr, idx);
    if (this.#privateNames.has(arr)) throw new Error(`emit: atomics on register array ${arr}`);
    const r = this.#ranges.get(arr);
    return r ? `atomicAdd(&${r[0]}[${r[1]}u + ${idx}], ${v});` : `atomicAdd(&${arr}[${idx}], ${v});`;
  }
}

function loadExpr(arr: string, idx: string, dtype: DType): string {
  return dtype === 'bool' ? `(${arr}[${idx}] != 0u)` : `${arr}[${idx}]`;
}

function storeValue(v: string, dtype: DType): string {
  return dtype === 'bool' ? `select(0u, 1u, ${v})` : v;
}
