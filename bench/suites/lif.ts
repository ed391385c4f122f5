/**
 * Suite "lif": N independent LIF neurons (N = 1e3 ... 1e6), T = 1000 steps of dt = 0.1 ms, constant
 * 20 mV drive (7 spikes per neuron in 1000 steps), spike counts accumulated in a State.
 * Every variant runs in this one process under the protocol of lib/stats.ts; every result is
 * checked bit for bit (final V and counts) against the f32-exact hand loop at the same N and T.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { brainstate, releaseDevice } from 'spiketrace';
import { compare, matchLabel, type MatchResult } from '../lib/check.ts';
import { nLabel, ms, ratio, sci } from '../lib/format.ts';
import { machineInfo } from '../lib/machine.ts';
import { measure, type Timing } from '../lib/stats.ts';
import { handLoopF64, handLoopStrict, type LifOut } from '../peers/handloop.ts';
import { loadJax, type JaxBackend, type JaxPeer } from '../peers/jaxjs.ts';
import { SpiketraceLif, type SpiketraceVariant } from '../peers/spiketrace.ts';
import type { Suite, SuiteArgs } from '../run.ts';

const T_FULL = 1000;
const NS = [1e3, 1e4, 1e5, 1e6];

interface VariantDef {
  id: string;
  label: string;
  /** Steps per call at this N (reduced for slow configurations, labelled in the reports). */
  steps(N: number): number;
  /** Timed runs at this N (after the warm-up). */
  runs?(N: number): number;
  /** In the summary table (false: diagnostic rows, shown in the breakdown only). */
  summary: boolean;
  enabled?(N: number): boolean;
}

// Slow CPU paths (eager ops, graph interpreter): about 2e5 neuron-steps per call, at least 10 steps.
const slowSteps = (N: number): number => Math.min(T_FULL, Math.max(10, Math.round(2e5 / N)));

const VARIANTS: VariantDef[] = [
  { id: 'tf', label: 'Spiketrace temporal fusion (WebGPU)', steps: () => T_FULL, summary: true },
  { id: 'dc', label: 'Spiketrace dispatch chain (WebGPU)', steps: (N) => (N >= 1e6 ? 200 : T_FULL), summary: true },
  { id: 'eager', label: 'Spiketrace eager, CPU reference ops', steps: slowSteps, runs: (N) => (N >= 1e6 ? 3 : 5), summary: true },
  { id: 'interp', label: "Spiketrace forLoop lowering 'interpret' (CPU)", steps: slowSteps, runs: (N) => (N >= 1e6 ? 3 : 5), summary: true },
  { id: 'hand', label: 'hand loop, JS Float32Array, f64 temporaries (ratio baseline)', steps: () => T_FULL, summary: true },
  { id: 'hand-f32', label: 'hand loop, JS Float32Array, Math.fround every op (bit-exact reference)', steps: () => T_FULL, runs: (N) => (N >= 1e6 ? 2 : 5), summary: true },
  { id: 'jax-wasm', label: 'jax-js wasm (jit K=10, sync every 5 calls)', steps: () => T_FULL, summary: true },
  { id: 'jax-webgpu', label: 'jax-js webgpu (jit K=100, sync every call)', steps: (N) => (N >= 1e6 ? 100 : T_FULL), summary: true },
  { id: 'tf-T1', label: 'Spiketrace temporal fusion, T=1 (fixed per-call cost)', steps: () => 1, summary: false },
  { id: 'tf-T100', label: 'Spiketrace temporal fusion, T=100', steps: () => 100, summary: false },
];

export interface LifRow {
  id: string;
  label: string;
  N: number;
  T: number;
  reducedT: boolean;
  runs: number;
  timing: Timing;
  neuronStepsPerS: number;
  /** Neuron-steps/s of this row over the reference hand loop's at the same N. */
  vsHand?: number;
  match: MatchResult;
  firstMatch: MatchResult;
  lowering?: string;
  kernels?: number;
  dispatches?: number;
  rssMiB: number;
  error?: string;
}

function parseList(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export const lifSuite: Suite = {
  name: 'lif',
  description: 'N independent LIF neurons, T=1000: temporal fusion, dispatch chain, eager CPU, hand loop, jax-js',
  async run(args: SuiteArgs): Promise<void> {
    const Ns = parseList(args.flags.n)?.map(Number) ?? NS;
    const only = parseList(args.flags.only);
    const runsDefault = args.flags.runs ? Number(args.flags.runs) : 5;
    const partial = !!(args.flags.n || args.flags.only || args.flags.runs);
    const variants = VARIANTS.filter((v) => !only || only.includes(v.id));
    // the f32-exact hand loop runs first at each N: its output is the reference for that N
    variants.sort((a, b) => Number(b.id === 'hand-f32') - Number(a.id === 'hand-f32'));
    const rows: LifRow[] = [];
    const refs = new Map<string, LifOut>();
    const reference = (N: number, T: number): LifOut => {
      const key = `${N}/${T}`;
      let r = refs.get(key);
      if (!r) refs.set(key, (r = handLoopStrict(N, T)));
      return r;
    };
    const jaxPeers = new Map<JaxBackend, JaxPeer>();
    const jaxPeer = async (b: JaxBackend): Promise<JaxPeer> => {
      let p = jaxPeers.get(b);
      if (!p) jaxPeers.set(b, (p = await loadJax(b)));
      return p;
    };
    let adapter: string | undefined;
    const suiteT0 = performance.now();

    for (const N of Ns) {
      const st = new SpiketraceLif(N);
      for (const v of variants) {
        if (v.enabled && !v.enabled(N)) continue;
        const T = v.steps(N);
        const runs = Math.min(runsDefault, v.runs?.(N) ?? runsDefault);
        let call: () => Promise<{ out: LifOut; parts?: Record<string, number> }>;
        switch (v.id) {
          case 'hand': call = async () => ({ out: handLoopF64(N, T) }); break;
          case 'hand-f32': call = async () => ({ out: handLoopStrict(N, T) }); break;
          case 'jax-wasm': case 'jax-webgpu': {
            const b: JaxBackend = v.id === 'jax-wasm' ? 'wasm' : 'webgpu';
            call = async () => ({ out: await (await jaxPeer(b)).run(N, T) });
            break;
          }
          default: {
            const lowering: SpiketraceVariant =
              v.id === 'dc' ? 'dispatch-chain' : v.id === 'eager' ? 'eager' : v.id === 'interp' ? 'interpret' : 'temporal-fusion';
            call = () => st.run(lowering, T);
          }
        }
        const tag = `[lif] N=${nLabel(N)} ${v.id.padEnd(10)} T=${T}`;
        try {
          const { timing, out, firstOut } = await measure(call, runs);
          if (v.id === 'hand-f32' && T === T_FULL) refs.set(`${N}/${T}`, out);
          const ref = reference(N, T);
          const row: LifRow = {
            id: v.id, label: v.label, N, T, reducedT: T !== T_FULL && v.summary, runs, timing,
            neuronStepsPerS: (N * T) / (timing.medianMs / 1000),
            match: compare(out, ref), firstMatch: compare(firstOut, ref),
            rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          };
          if (['tf', 'dc', 'interp', 'tf-T1', 'tf-T100'].includes(v.id)) {
            const info = brainstate.transform.lastRun();
            if (info) {
              row.lowering = info.lowering; row.kernels = info.kernels; row.dispatches = info.dispatches;
              adapter ??= info.device;
            }
          }
          rows.push(row);
          console.log(`${tag} first ${ms(timing.firstMs)} ms, median ${ms(timing.medianMs)} ms (${sci(row.neuronStepsPerS)} n-steps/s) match ${matchLabel(row.match)}`);
        } catch (e) {
          const msg = e instanceof Error ? e.message.split('\n')[0] ?? String(e) : String(e);
          console.log(`${tag} FAILED: ${msg}`);
          rows.push({
            id: v.id, label: v.label, N, T, reducedT: T !== T_FULL, runs, neuronStepsPerS: NaN, error: msg,
            timing: { firstMs: NaN, timesMs: [], medianMs: NaN, minMs: NaN, maxMs: NaN, parts: {}, firstParts: {}, load1: 0 },
            match: { ok: false, vMismatches: -1, countMismatches: -1, spikes: [0, 0] },
            firstMatch: { ok: false, vMismatches: -1, countMismatches: -1, spikes: [0, 0] },
            rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          });
        }
      }
      const hand = rows.find((r) => r.N === N && r.id === 'hand' && !r.error);
      if (hand) for (const r of rows) if (r.N === N) r.vsHand = r.neuronStepsPerS / hand.neuronStepsPerS;
    }
    const suiteSeconds = (performance.now() - suiteT0) / 1000;
    releaseDevice();

    const machine = machineInfo(adapter);
    const result = {
      suite: 'lif',
      workload: {
        description: 'N independent LIF neurons, hard reset, V_rest=V_reset=-65 mV, V_th=-50 mV, tau=10 ms, R*I=20 mV, dt=0.1 ms, exp-Euler; spike counts in a State',
        T: T_FULL, Ns,
        protocol: 'one warm-up call (reported as first call: includes tracing and shader/jit compilation), then `runs` timed calls; median. Each call: fresh initial state, all T steps, readback of V and counts to host arrays. neuron-steps/s = N*T/median.',
        reference: "correctness: hand loop with Math.fround on every op (id 'hand-f32'); every row's final V and counts are compared bit for bit against it at the same N and T. Speed ratios: against the hand loop with f64 temporaries (id 'hand'), the faster of the two, itself checked bit for bit",
      },
      machine, args: args.raw, partial, suiteSeconds: Math.round(suiteSeconds),
      rows,
    };
    const outDir = args.flags.out ?? join('bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const base = partial ? 'lif-partial' : 'lif';
    writeFileSync(join(outDir, `${base}.json`), JSON.stringify(result, null, 2) + '\n');
    const md = report(rows, Ns, machine, suiteSeconds, partial);
    writeFileSync(join(outDir, `${base}.md`), md);
    console.log('\n' + md);
    console.log(`wrote ${join(outDir, base + '.json')} and ${join(outDir, base + '.md')}`);
  },
};

/** Why temporal fusion can lose on a lavapipe (CPU-emulated WebGPU) machine; see bench/README.md. */
const WHY_LOSSES = [
  '### Why (on a machine whose WebGPU adapter is lavapipe)', '',
  '- "WebGPU" here is Mesa lavapipe: the fused kernel is compiled by LLVM to CPU SIMD code and runs on the same CPU cores as the peers. ' +
  'There is no GPU throughput to win; temporal fusion removes per-step dispatch and memory traffic (its state stays in registers for all T steps), ' +
  'after which it competes on raw per-neuron-step arithmetic with jax-js, whose wasm backend also compiles a fused SIMD (f32x4) loop.',
  '- The fixed per-call cost (upload, one submit, readback, `initAllStates`) is at most ~6% of the call at N ≥ 1e5 (table above), ' +
  'so the loss is in the per-step cost, not overhead. On a 2-vCPU machine shared with other work, lavapipe gets little from its second thread: ' +
  'a separate check with LP_NUM_THREADS=1 vs 2 gave 197 vs 180 ms at N=1e5 and 1612 vs 1298 ms at N=1e6 (jax-js wasm is single-threaded: 154–159 and 1491–1612 ms).',
  '- The fused kernel carries the spike of the new V into the next step (compiler/src/passes/carried-values.ts), so it does 2 f32 divisions ' +
  'per neuron-step; the rest is the LIF arithmetic itself. See bench/README.md.',
  '- Lavapipe rows move a lot between runs on this shared 2-vCPU machine (load1 is recorded per row). Single temporal-fusion calls at N=1e5 range from about 130 to 200 ms within one process; at large N temporal fusion and jax-js wasm are roughly tied on this machine.', '',
];

function cell(r: LifRow | undefined): string {
  if (!r) return '–';
  if (r.error) return 'failed';
  const t = r.reducedT ? ` T=${r.T}` : '';
  const m = r.match.ok ? '' : ' ✗';
  return `${sci(r.neuronStepsPerS)} (${r.vsHand !== undefined ? ratio(r.vsHand) : '?'})${t}${m}`;
}

function report(rows: LifRow[], Ns: number[], machine: ReturnType<typeof machineInfo>, seconds: number, partial: boolean): string {
  const L: string[] = [];
  const get = (id: string, N: number): LifRow | undefined => rows.find((r) => r.id === id && r.N === N);
  L.push(`# Benchmark: lif${partial ? ' (partial run)' : ''}`, '');
  L.push(`${machine.date} · ${machine.cpuModel}, ${machine.cpus} CPUs · ${machine.adapter ?? 'adapter unknown'} · Node ${machine.node} · ` +
    `webgpu ${machine.packages.webgpu} · @jax-js/jax ${machine.packages['@jax-js/jax']} · load1 at start ${machine.load1AtStart} · suite took ${Math.round(seconds)} s`, '');
  L.push('N independent LIF neurons, T = 1000 steps (dt = 0.1 ms), 7 spikes per neuron. Cells: **neuron-steps/s** (median of the timed calls) and ' +
    '(ratio to the hand loop — JS Float32Array, f64 temporaries, bit-identical results — at the same N). `T=…` marks a configuration run with fewer steps to keep the suite short ' +
    '(per-step rate, directly comparable; nothing is extrapolated). ✗ marks a result that does not match the reference bit for bit.', '');
  L.push(`| variant | ${Ns.map((n) => `N=${nLabel(n)}`).join(' | ')} |`);
  L.push(`|---|${Ns.map(() => '---:').join('|')}|`);
  for (const v of VARIANTS.filter((x) => x.summary)) {
    if (!rows.some((r) => r.id === v.id)) continue;
    L.push(`| ${v.label} | ${Ns.map((n) => cell(get(v.id, n))).join(' | ')} |`);
  }
  L.push('', '## All rows', '');
  L.push('| N | variant | T | runs | first call ms | median ms | min–max ms | neuron-steps/s | vs hand | kernels / dispatches | V & counts match | spikes/neuron | load1 |');
  L.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|');
  for (const r of rows) {
    if (r.error) { L.push(`| ${nLabel(r.N)} | ${r.id} | ${r.T} | – | – | – | – | failed: ${r.error} | – | – | – | – | – |`); continue; }
    const kd = r.kernels !== undefined ? `${r.kernels} / ${r.dispatches}` : '';
    const sp = r.match.spikes[0] === r.match.spikes[1] ? `${r.match.spikes[0]}` : `${r.match.spikes[0]}–${r.match.spikes[1]}`;
    L.push(`| ${nLabel(r.N)} | ${r.id} | ${r.T} | ${r.runs} | ${ms(r.timing.firstMs)} | ${ms(r.timing.medianMs)} | ${ms(r.timing.minMs)}–${ms(r.timing.maxMs)} | ` +
      `${sci(r.neuronStepsPerS)} | ${r.vsHand !== undefined ? ratio(r.vsHand) : '–'} | ${kd} | ${matchLabel(r.match)}${r.firstMatch.ok ? '' : ' (first call: ' + matchLabel(r.firstMatch) + ')'} | ${sp} | ${r.timing.load1} |`);
  }
  // Temporal-fusion breakdown: first call vs steady state, fixed per-call cost vs per-step cost.
  L.push('', '## Temporal fusion: where the time goes', '');
  L.push('`trace` = synchronous part of the `forLoop` call (tracing on the first call, a cache lookup after); `execute` = `lastRun().wallMs` ' +
    '(state upload, pipeline creation on the first call, the dispatch, the readback of V and counts); `T=1` = the same call with one step, i.e. the fixed per-call cost. ' +
    'per-step cost = (median(T=1000) − median(T=1)) / 999.', '');
  L.push('| N | first call ms | of which trace | of which execute | steady median ms (T=1000) | trace (cached) | initAllStates | fixed per-call (T=1) ms | per-step µs | fixed share at T=1000 | hand loop ms | jax-js wasm ms |');
  L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const findings: string[] = [];
  for (const N of Ns) {
    const tf = get('tf', N), t1 = get('tf-T1', N), hand = get('hand', N), jw = get('jax-wasm', N);
    if (!tf || tf.error) continue;
    const fixed = t1 && !t1.error ? t1.timing.medianMs : NaN;
    const perStepUs = ((tf.timing.medianMs - fixed) / (T_FULL - 1)) * 1000;
    L.push(`| ${nLabel(N)} | ${ms(tf.timing.firstMs)} | ${ms(tf.timing.firstParts.traceOrLookupMs ?? NaN)} | ${ms(tf.timing.firstParts.executeMs ?? NaN)} | ` +
      `${ms(tf.timing.medianMs)} | ${ms(tf.timing.parts.traceOrLookupMs ?? NaN)} | ${ms(tf.timing.parts.initStatesMs ?? NaN)} | ${ms(fixed)} | ${perStepUs.toFixed(2)} | ` +
      `${((fixed / tf.timing.medianMs) * 100).toFixed(0)}% | ${hand ? ms(hand.timing.medianMs) : '–'} | ${jw && !jw.error ? ms(jw.timing.medianMs) : '–'} |`);
    for (const [peer, label] of [[hand, 'the hand loop'], [jw, 'jax-js wasm']] as const) {
      if (!peer || peer.error) continue;
      const sp = peer.timing.medianMs / tf.timing.medianMs;
      if (sp < 1) {
        const peerPerStepUs = (peer.timing.medianMs / T_FULL) * 1000;
        findings.push(`- N=${nLabel(N)}: temporal fusion (${ms(tf.timing.medianMs)} ms) is **slower** than ${label} (${ms(peer.timing.medianMs)} ms), ${ratio(1 / sp)} the time. ` +
          `Fixed per-call cost (T=1 run: upload, one submit, readback) is ${ms(fixed)} ms = ${((fixed / tf.timing.medianMs) * 100).toFixed(0)}% of the call; ` +
          `the marginal cost is ${perStepUs.toFixed(2)} µs/step vs ${peerPerStepUs.toFixed(2)} µs/step for ${label}.`);
      } else {
        findings.push(`- N=${nLabel(N)}: temporal fusion beats ${label}: ${ratio(sp)} faster (${ms(tf.timing.medianMs)} vs ${ms(peer.timing.medianMs)} ms).`);
      }
    }
  }
  L.push('', '## Temporal fusion vs the peers (computed from this run)', '', ...findings, '');
  if (findings.some((f) => f.includes('**slower**'))) L.push(...WHY_LOSSES);
  L.push('See bench/README.md ("Reading the lif results") for the full discussion.', '');
  return L.join('\n');
}
