/**
 * Brian2 (Debian's python3-brian, run with /usr/bin/python3: the python3 on PATH may be a pyenv one
 * without brian2) running bench/brian2/coba.py, and re-running its C++ standalone binary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const SCRIPT = join('bench', 'brian2', 'coba.py');
/** Where coba.py builds the cpp_standalone project (fixed in the script). */
export const STANDALONE_DIR = '/tmp/brian2_coba';

export type Brian2Target = 'cpp_standalone' | 'cython' | 'numpy';

export interface Brian2Out {
  simulator: string;
  target: Brian2Target;
  neurons: number;
  steps: number;
  rateE: number;
  rateI: number;
  isiCvE: number | null;
  isiCvI: number | null;
  /** Simulation time: Brian2's own run time for cpp_standalone, time of `net.run` (with code generation) otherwise. */
  wallSeconds: number;
  buildSeconds: number;
  usPerStep: number;
  /** Wall time of the whole python process (imports, network construction, build, run, analysis). */
  processSeconds: number;
}

export function brian2Version(): string {
  try {
    return execFileSync(PYTHON, ['-W', 'ignore', '-c', 'import brian2; print(brian2.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not available';
  }
}

/** One run of coba.py. With `clean`, the standalone project is deleted first, so buildSeconds is a full compile. */
export function runCobaPy(target: Brian2Target, neurons: number, durationMs: number, seed = 1, clean = false, extraArgs: string[] = []): Brian2Out {
  if (clean && target === 'cpp_standalone' && existsSync(STANDALONE_DIR)) rmSync(STANDALONE_DIR, { recursive: true, force: true });
  const t0 = performance.now();
  const out = execFileSync(PYTHON, ['-W', 'ignore', SCRIPT, '--target', target, '--neurons', String(neurons), '--duration', String(durationMs), '--seed', String(seed), ...extraArgs],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
  const processSeconds = (performance.now() - t0) / 1000;
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`coba.py printed no JSON: ${out.slice(-300)}`);
  return { ...(JSON.parse(line) as Omit<Brian2Out, 'processSeconds'>), processSeconds };
}

/**
 * Re-runs the last built standalone binary (same network, same initial values: they are in its
 * static_arrays). Returns Brian2's simulation time (results/last_run_info.txt) and the process wall time.
 */
export function rerunStandalone(): { simSeconds: number; processSeconds: number } {
  const t0 = performance.now();
  execFileSync(join(STANDALONE_DIR, 'main'), [], { cwd: STANDALONE_DIR, stdio: 'ignore' });
  const processSeconds = (performance.now() - t0) / 1000;
  const info = readFileSync(join(STANDALONE_DIR, 'results', 'last_run_info.txt'), 'utf8').trim().split(/\s+/);
  return { simSeconds: Number(info[0]), processSeconds };
}

/** Runs coba.py in-process (runpy) and also returns every spike (neuron, time in ms) for the cross-check. */
export function runCobaPySpikes(target: Brian2Target, neurons: number, durationMs: number, seed: number): { out: Brian2Out; neuron: Int32Array; timeMs: Float64Array } {
  const code = [
    'import runpy, sys, json',
    `sys.argv = ['coba.py', '--target', ${JSON.stringify(target)}, '--neurons', '${neurons}', '--duration', '${durationMs}', '--seed', '${seed}']`,
    `g = runpy.run_path(${JSON.stringify(SCRIPT)}, run_name='__main__')`,
    "print('SPIKES ' + json.dumps({'i': [int(x) for x in g['i']], 't': [float(x) for x in g['t']]}))",
  ].join('\n');
  const t0 = performance.now();
  const txt = execFileSync(PYTHON, ['-W', 'ignore', '-c', code], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  const processSeconds = (performance.now() - t0) / 1000;
  const lines = txt.trim().split('\n');
  const js = lines.filter((l) => l.startsWith('{')).pop()!;
  const sp = JSON.parse(lines.find((l) => l.startsWith('SPIKES '))!.slice(7)) as { i: number[]; t: number[] };
  return { out: { ...(JSON.parse(js) as Omit<Brian2Out, 'processSeconds'>), processSeconds }, neuron: Int32Array.from(sp.i), timeMs: Float64Array.from(sp.t) };
}
