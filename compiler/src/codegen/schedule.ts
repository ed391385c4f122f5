/**
 * Scheduling kernels of one step from what each reads and writes: dependency waves (a barrier, or
 * a dispatch, between waves) and, in the persistent shader, the loops of a wave.
 */

/** What a scheduled item reads and writes ("buffer:side"; '*' for everything). */
export interface Access {
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
  /** Buffers it touches at elements other than its own `i` (absent: all of them). */
  readonly nonLocal?: ReadonlySet<string>;
}

/**
 * Dependency waves, in order: each item goes to the wave after the last one holding an item it
 * depends on (it reads what that wrote, or writes what that read or wrote), so independent items
 * share a wave. The persistent workgroup puts a barrier between waves, the dispatch chain makes
 * each wave one dispatch.
 *
 * `sameThread`: element `i` of every item runs on the same invocation (the persistent shader's
 * strided loops: thread `i % workgroupSize` owns element `i` in every kernel), so two items that
 * both touch a buffer only at their own element are ordered by program order and need no barrier.
 */
export function dependencyWaves<T extends Access>(items: readonly T[], opts: { sameThread?: boolean } = {}): T[][] {
  const waves: T[][] = [];
  for (const it of items) {
    let at = 0;
    waves.forEach((w, k) => {
      for (const x of w) {
        const r = dependence(x, it, opts);
        if (r === 2) at = Math.max(at, k + 1);
        else if (r === 1) at = Math.max(at, k);
      }
    });
    (waves[at] ??= []).push(it);
  }
  return waves;
}

/**
 * The loops of one wave of the persistent shader: kernels over the same number of elements share
 * one loop (element i of each, in program order), so a thread walks its elements once per wave and
 * the compiler sees one body per element. An item joins the latest earlier loop of its size if it
 * depends on nothing in the loops it would move ahead of. Items of dynamic size (`size`
 * undefined) keep loops of their own.
 */
export function sharedLoops<T extends Access & { size: number | undefined }>(wave: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (const x of wave) {
    let target = -1;
    for (let k = groups.length - 1; k >= 0 && x.size !== undefined; k--) {
      const g = groups[k] as T[];
      if (g[0]!.size === x.size) { target = k; break; }
      if (g.some((y) => dependence(y, x, { sameThread: true }) !== 0)) break;
    }
    if (target >= 0) groups[target]!.push(x);
    else groups.push([x]);
  }
  return groups;
}

/**
 * How item `b`, coming after `a` in program order, depends on it: 0 not at all, 1 only at their
 * own elements (with `sameThread`: `b` runs after `a` on the same invocation, no barrier), 2
 * through other elements (a barrier between them).
 */
export function dependence(a: Access, b: Access, opts: { sameThread?: boolean } = {}): 0 | 1 | 2 {
  const nonLocal = (x: Access, k: string): boolean => !opts.sameThread || !x.nonLocal || x.nonLocal.has(k);
  const order = (x: ReadonlySet<string>, y: ReadonlySet<string>): 0 | 1 | 2 => {
    if (x.has('*') || y.has('*')) return 2;
    let r: 0 | 1 | 2 = 0;
    for (const k of y) if (x.has(k)) r = nonLocal(a, k) || nonLocal(b, k) ? 2 : Math.max(r, 1) as 0 | 1 | 2;
    return r;
  };
  return Math.max(order(a.writes, b.reads), order(a.writes, b.writes), order(a.reads, b.writes)) as 0 | 1 | 2;
}
