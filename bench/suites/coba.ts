/**
 * Suite "coba": the COBA E/I network of examples/models/coba.ts (Vogels & Abbott 2005; 80% E, 20% I
 * LIFRef, Expon conductances, COBA outputs, EventFixedProb) for 1 s of biological time (10 000 steps
 * of 0.1 ms) at N = 4000, 40 000 and 400 000, connection probability 80/N (every neuron keeps 80
 * inputs and the same weights). Spiketrace under each lowering that applies (persistent workgroup up
 * to 16 384 neurons, dispatch chain, 'auto' with what it picked) against Brian2 on the same machine:
 * its C++ standalone target (build time reported apart from run time), and Cython and numpy at 4000.
 * Slow configurations simulate less biological time (labelled); nothing is extrapolated.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { u, brainstate, releaseDevice } from 'spiketrace';
import { coba, packBits, packSpikes } from '../../examples/models/coba.ts';
import { brian2Version, rerunStandalone, runCobaPy, type Brian2Out, type Brian2Target } from '../lib/brian2.ts';
import { ms, ratio } from '../lib/format.ts';
import { machineInfo } from '../lib/machine.ts';
import { countPacked } from '../lib/spikes.ts';
import { measure, median, type Timing } from '../lib/stats.ts';
import type { Suite, SuiteArgs } from '../run.ts';

const DT = 0.1; // ms
const FULL_STEPS = 10_000; // 1 s of biological time
const NS = [4000, 40_000, 400_000];
const SEED = 1;
/** The persistent-workgroup lowering applies up to this many neurons (compiler cost model). */
const PW_MAX = 16_384;

type StLowering = 'persistent-workgroup' | 'dispatch-chain' | 'auto';

interface VariantDef {
  id: string;
  label: string;
  kind: 'spiketrace' | 'brian2';
  lowering?: StLowering;
  target?: Brian2Target;
  enabled(N: number): boolean;
  /** Steps per call (reduced for slow configurations, labelled). */
  steps(N: number): number;
  /** Timed calls after the warm-up (fewer for slow configurations, labelled). */
  runs(N: number): number;
}

// 400 000 neurons on lavapipe: about 26 ms per step, so 100 ms of biological time (1000 steps).
const stSteps = (N: number): number => (N >= 400_000 ? 1000 : FULL_STEPS);

const VARIANTS: VariantDef[] = [
  { id: 'b2-cpp', label: 'Brian2 cpp_standalone (simulation time)', kind: 'brian2', target: 'cpp_standalone', enabled: () => true, steps: stSteps, runs: () => 5 },
  { id: 'b2-cython', label: 'Brian2 cython (net.run time)', kind: 'brian2', target: 'cython', enabled: (N) => N <= 4000, steps: () => FULL_STEPS, runs: () => 3 },
  { id: 'b2-numpy', label: 'Brian2 numpy (net.run time)', kind: 'brian2', target: 'numpy', enabled: (N) => N <= 4000, steps: () => FULL_STEPS, runs: () => 3 },
  { id: 'pw', label: 'Spiketrace persistent workgroup', kind: 'spiketrace', lowering: 'persistent-workgroup', enabled: (N) => N <= PW_MAX, steps: stSteps, runs: () => 5 },
  { id: 'dc', label: 'Spiketrace dispatch chain', kind: 'spiketrace', lowering: 'dispatch-chain', enabled: () => true, steps: stSteps, runs: (N) => (N >= 40_000 ? 3 : 5) },
  { id: 'auto', label: "Spiketrace 'auto'", kind: 'spiketrace', lowering: 'auto', enabled: () => true, steps: stSteps, runs: (N) => (N >= 40_000 ? 1 : 3) },
];

export interface CobaRow {
  id: string;
  label: string;
  N: number;
  steps: number;
  /** Simulated biological time of each call, ms. */
  durationMs: number;
  reduced: boolean;
  runs: number;
  timing: Timing;
  usPerStep: number;
  /** Wall seconds per second of biological time. */
  wallPerBioSecond: number;
  rateE: number;
  rateI: number;
  /** Spiketrace: the lowering that ran (what 'auto' picked), kernels and dispatches per call. */
  lowering?: string;
  kernels?: number;
  dispatches?: number;
  /** Brian2: full compile time of the standalone project (first call only), process wall times. */
  buildSeconds?: number;
  processMedianSeconds?: number;
  firstProcessSeconds?: number;
  /** Median of this row over Brian2 cpp_standalone's median at the same N (> 1: slower than Brian2). */
  vsBrian2Cpp?: number;
  rssMiB: number;
  error?: string;
}

function parseList(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/** One network per N; its step function object is kept, so traces and pipelines are cached after the first call. */
class SpiketraceCoba {
  readonly net;
  readonly step: (t: u.Quantity) => ReturnType<typeof packSpikes>;
  private readonly timesBySteps = new Map<number, u.Quantity>();
  constructor(readonly n: number) {
    this.net = coba({ n, seed: SEED });
    this.step = (t: u.Quantity) => packSpikes(this.net.step(t));
  }
  times(steps: number): u.Quantity {
    let t = this.timesBySteps.get(steps);
    if (!t) this.timesBySteps.set(steps, (t = u.math.arange(u.ms(0), u.ms(steps * DT - DT / 2), u.ms(DT))));
    return t;
  }
  async call(lowering: StLowering, steps: number): Promise<{ out: ArrayLike<number>; parts: Record<string, number> }> {
    const times = this.times(steps);
    const t0 = performance.now();
    brainstate.nn.initAllStates(this.net);
    const t1 = performance.now();
    const packed = await brainstate.environ.context({ dt: u.ms(DT) }, () =>
      brainstate.transform.forLoop(this.step, times, lowering === 'auto' ? {} : { lowering }));
    return { out: packed.data as ArrayLike<number>, parts: { initStatesMs: t1 - t0, executeMs: brainstate.transform.lastRun()?.wallMs ?? NaN } };
  }
}

const blankTiming = (): Timing => ({ firstMs: NaN, timesMs: [], medianMs: NaN, minMs: NaN, maxMs: NaN, parts: {}, firstParts: {}, load1: 0 });
const rss = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

export const cobaSuite: Suite = {
  name: 'coba',
  description: 'COBA E/I network, 1 s at N=4000/40000/400000: Spiketrace lowerings vs Brian2 (cpp_standalone, cython, numpy)',
  async run(args: SuiteArgs): Promise<void> {
    const Ns = parseList(args.flags.n)?.map(Number) ?? NS;
    const only = parseList(args.flags.only);
    const runsFlag = args.flags.runs ? Number(args.flags.runs) : undefined;
    const partial = !!(args.flags.n || args.flags.only || args.flags.runs);
    const variants = VARIANTS.filter((v) => !only || only.includes(v.id));
    const rows: CobaRow[] = [];
    let adapter: string | undefined;
    const b2v = brian2Version();
    const suiteT0 = performance.now();

    for (const N of Ns) {
      const st = variants.some((v) => v.kind === 'spiketrace') ? new SpiketraceCoba(N) : undefined;
      const nE = Math.floor(0.8 * N);
      for (const v of variants) {
        if (!v.enabled(N)) continue;
        const steps = v.steps(N);
        const durationMs = steps * DT;
        const runs = runsFlag ?? v.runs(N);
        const tag = `[coba] N=${N} ${v.id.padEnd(9)} ${durationMs} ms`;
        const base = { id: v.id, label: v.label, N, steps, durationMs, reduced: steps !== FULL_STEPS, runs };
        try {
          let row: CobaRow;
          if (v.kind === 'brian2') {
            const target = v.target!;
            // first call: a fresh process; for cpp_standalone the project is deleted first, so it compiles from scratch
            const first = runCobaPy(target, N, durationMs, SEED, true);
            const sims: number[] = [], procs: number[] = [];
            for (let r = 0; r < runs; r++) {
              if (target === 'cpp_standalone') {
                const rr = rerunStandalone();
                sims.push(rr.simSeconds * 1000); procs.push(rr.processSeconds * 1000);
              } else {
                const o: Brian2Out = runCobaPy(target, N, durationMs, SEED);
                sims.push(o.wallSeconds * 1000); procs.push(o.processSeconds * 1000);
              }
            }
            const med = median(sims);
            row = {
              ...base,
              timing: { firstMs: first.wallSeconds * 1000, timesMs: sims, medianMs: med, minMs: Math.min(...sims), maxMs: Math.max(...sims), parts: {}, firstParts: {}, load1: 0 },
              usPerStep: (med * 1000) / steps, wallPerBioSecond: med / durationMs,
              rateE: first.rateE, rateI: first.rateI,
              buildSeconds: first.buildSeconds, firstProcessSeconds: first.processSeconds, processMedianSeconds: median(procs) / 1000, rssMiB: rss(),
            };
            console.log(`${tag} build ${first.buildSeconds.toFixed(1)} s, first run ${ms(first.wallSeconds * 1000)} ms, median ${ms(med)} ms (${row.usPerStep.toFixed(1)} µs/step), process ${row.processMedianSeconds!.toFixed(2)} s, rates E ${first.rateE.toFixed(2)} I ${first.rateI.toFixed(2)} Hz`);
          } else {
            const { timing, out } = await measure(() => st!.call(v.lowering!, steps), runs);
            const info = brainstate.transform.lastRun();
            adapter ??= info?.device;
            const c = countPacked(out, steps, N, nE, packBits(N));
            const secs = durationMs / 1000;
            row = {
              ...base, timing, usPerStep: (timing.medianMs * 1000) / steps, wallPerBioSecond: timing.medianMs / durationMs,
              rateE: c.E / nE / secs, rateI: c.I / (N - nE) / secs,
              lowering: info?.lowering, kernels: info?.kernels, dispatches: info?.dispatches, rssMiB: rss(),
            };
            console.log(`${tag} first ${ms(timing.firstMs)} ms, median ${ms(timing.medianMs)} ms (${row.usPerStep.toFixed(1)} µs/step, ${info?.lowering}, ${info?.dispatches} dispatches), rates E ${row.rateE.toFixed(2)} I ${row.rateI.toFixed(2)} Hz`);
          }
          rows.push(row);
        } catch (e) {
          const msg = e instanceof Error ? e.message.split('\n')[0] ?? String(e) : String(e);
          console.log(`${tag} FAILED: ${msg}`);
          rows.push({ ...base, timing: blankTiming(), usPerStep: NaN, wallPerBioSecond: NaN, rateE: NaN, rateI: NaN, rssMiB: rss(), error: msg });
        }
      }
      const cpp = rows.find((r) => r.N === N && r.id === 'b2-cpp' && !r.error);
      if (cpp) for (const r of rows) if (r.N === N && !r.error) r.vsBrian2Cpp = r.usPerStep / cpp.usPerStep;
    }
    const suiteSeconds = (performance.now() - suiteT0) / 1000;
    releaseDevice();

    const machine = { ...machineInfo(adapter), brian2: b2v };
    const result = {
      suite: 'coba',
      workload: {
        description: 'COBA E/I network (examples/models/coba.ts): 80% E / 20% I LIFRef, tau 20 ms, V_rest=V_reset=-60 mV, V_th=-50 mV, ref 5 ms, R 100 MOhm, 200 pA, ' +
          'V0 ~ N(-55, 5) mV; EventFixedProb p = 80/N (0.02 at 4000), Expon 5/10 ms, 6/67 nS, COBA E = 0/-80 mV; dt 0.1 ms; seed 1. Brian2: bench/brian2/coba.py, same network, exponential Euler.',
        fullSteps: FULL_STEPS, dtMs: DT, Ns, seed: SEED,
        protocol: 'Spiketrace: one process, per configuration one warm-up call (first call: tracing, WGSL compile, pipelines) then `runs` timed calls, median. ' +
          'Each call: initAllStates(net) + forLoop(step, times, { lowering }) with the same step function object, spikes packed on the device and read back. ' +
          'Brian2 cpp_standalone: coba.py once from a deleted project directory (first call; buildSeconds = full C++ compile + its first run), then the built binary re-run `runs` times; ' +
          'the time is Brian2\'s own simulation time (results/last_run_info.txt), processMedianSeconds the whole binary. Brian2 cython/numpy: coba.py `runs`+1 times (fresh processes), time of net.run (includes code generation), median of the last `runs`. ' +
          'vsBrian2Cpp = usPerStep / Brian2 cpp_standalone usPerStep at the same N and duration (> 1: slower than Brian2).',
      },
      machine, args: args.raw, partial, suiteSeconds: Math.round(suiteSeconds), rows,
    };
    const outDir = args.flags.out ?? join('bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const base = partial ? 'coba-partial' : 'coba';
    writeFileSync(join(outDir, `${base}.json`), JSON.stringify(result, null, 2) + '\n');
    const md = report(rows, Ns, machine, suiteSeconds, partial);
    writeFileSync(join(outDir, `${base}.md`), md);
    console.log('\n' + md);
    console.log(`wrote ${join(outDir, base + '.json')} and ${join(outDir, base + '.md')}`);
  },
};

const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(x >= 100 ? 0 : 1));
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');

function report(rows: CobaRow[], Ns: number[], machine: ReturnType<typeof machineInfo> & { brian2: string }, seconds: number, partial: boolean): string {
  const L: string[] = [];
  L.push(`# Benchmark: coba${partial ? ' (partial run)' : ''}`, '');
  L.push(`${machine.date} · ${machine.cpuModel}, ${machine.cpus} CPUs · ${machine.adapter ?? 'adapter unknown'} · Node ${machine.node} · webgpu ${machine.packages.webgpu} · ` +
    `Brian2 ${machine.brian2} · load1 at start ${machine.load1AtStart} · suite took ${Math.round(seconds)} s`, '');
  L.push('COBA E/I network (examples/models/coba.ts), 80 inputs per neuron, dt = 0.1 ms, seed 1. **µs per step** = median call time / steps. ' +
    'Spiketrace calls include `initAllStates`, upload, all steps and the readback of the packed spikes; Brian2 cpp_standalone is its own simulation time ' +
    '(without process start, loading and writing arrays; the whole binary is in the "process" column), its C++ compile is the build column. ' +
    '`100 ms` marks configurations that simulate 100 ms (1000 steps) instead of 1 s: µs per step is directly comparable, nothing is extrapolated. ' +
    '"× Brian2" = time over Brian2 cpp_standalone at the same N (> 1: Spiketrace is slower).', '');
  L.push('| N | ' + ['Brian2 cpp_standalone', 'Spiketrace persistent workgroup', 'Spiketrace dispatch chain', "Spiketrace 'auto'"].join(' | ') + ' |');
  L.push('|---:|---:|---:|---:|---:|');
  for (const N of Ns) {
    const c = (id: string): string => {
      const r = rows.find((x) => x.id === id && x.N === N);
      if (!r) return '–';
      if (r.error) return 'failed';
      const dur = r.reduced ? ` (${r.durationMs} ms)` : '';
      const vs = id !== 'b2-cpp' && r.vsBrian2Cpp !== undefined ? `, ${ratio(r.vsBrian2Cpp)}` : '';
      const pick = id === 'auto' ? ` → ${r.lowering}` : '';
      return `${r.usPerStep.toFixed(1)} µs${vs}${dur}${pick}`;
    };
    L.push(`| ${N} | ${c('b2-cpp')} | ${c('pw')} | ${c('dc')} | ${c('auto')} |`);
  }
  L.push('', '## All rows', '');
  L.push('| N | variant | simulated | timed calls | first call ms | median ms | min–max ms | µs/step | s per bio s | × Brian2 cpp | rate E Hz | rate I Hz | lowering / dispatches | build s | process s | load1 |');
  L.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const r of rows) {
    const dur = `${r.durationMs} ms${r.reduced ? ' (reduced)' : ''}`;
    if (r.error) { L.push(`| ${r.N} | ${r.label} | ${dur} | – | – | – | – | failed: ${r.error} | – | – | – | – | – | – | – | – |`); continue; }
    const ld = r.lowering ? `${r.lowering} / ${r.dispatches}` : '';
    L.push(`| ${r.N} | ${r.label} | ${dur} | ${r.runs} | ${ms(r.timing.firstMs)} | ${ms(r.timing.medianMs)} | ${ms(r.timing.minMs)}–${ms(r.timing.maxMs)} | ${f1(r.usPerStep)} | ` +
      `${f2(r.wallPerBioSecond)} | ${r.vsBrian2Cpp !== undefined && r.id !== 'b2-cpp' ? ratio(r.vsBrian2Cpp) : '–'} | ${f2(r.rateE)} | ${f2(r.rateI)} | ${ld} | ` +
      `${r.buildSeconds !== undefined ? f2(r.buildSeconds) : ''} | ${r.processMedianSeconds !== undefined ? f2(r.processMedianSeconds) : ''} | ${r.timing.load1 || ''} |`);
  }
  L.push('', 'Notes:', '',
    '- The rates differ between the two simulators by seed-level amounts: they draw the initial V and the connectivity from different generators (see bench/results/coba-brian2.md for the cross-check over several seeds). ' +
    'Rates of 100 ms rows include the initial transient, so they are not the 1 s rates.',
    '- Brian2 cpp_standalone "first call" is the simulation time of the build run; "build s" is the whole `device.build` (C++ compile from a deleted project directory, plus that first run). ' +
    'Brian2 cython/numpy "first call" is the first fresh process (cython: its compiled extensions may already be in the cache ~/.cython from earlier runs).',
    '- **This machine\'s WebGPU adapter is Mesa lavapipe** (WebGPU emulated on the CPU cores); Spiketrace numbers here are not GPU numbers. See bench/results/coba-gpu-h100.md for the numbers on a GPU (3.2 µs per step at 4000 on an H100).', '');
  return L.join('\n');
}
