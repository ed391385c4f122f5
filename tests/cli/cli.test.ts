/**
 * The `spiketrace` command line, run as a child process through its launcher
 * (packages/spiketrace/bin/spiketrace.mjs) from the repository root: help, compile, run, inspect,
 * devices, and one-line errors with non-zero exits. The bundle the CLI writes is also run in this
 * process with BundleRunner: the CLI's final V must equal it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleRunner, releaseDevice, type BundleManifest } from '@spiketrace/runtime';
import { defaultInputs } from '../../packages/spiketrace/src/cli/run.ts';
import { parseDuration } from '../../packages/spiketrace/src/cli/units.ts';

const root = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(root, 'packages/spiketrace/bin/spiketrace.mjs');
const MODEL = 'examples/models/lif-walkthrough.ts';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: root,
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** stderr without Dawn's start-up warnings (printed by the driver when a device is created). */
function errLines(r: Result): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() && !/^Warning: .*artificially reduced/.test(l));
}

let dir: string;
let compiled: Result;
let bundleFile: string;

beforeAll(async () => {
  mkdirSync(path.join(root, 'out'), { recursive: true });
  dir = mkdtempSync(path.join(root, 'out', 'cli-test-'));
  compiled = await cli('compile', MODEL, '--out', path.relative(root, dir));
  bundleFile = path.join(dir, 'lif-walkthrough.bundle.json');
});

afterAll(() => {
  releaseDevice();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('spiketrace --help / --version', () => {
  it('prints the top-level help and each command\'s help', async () => {
    const [top, version, ...cmds] = await Promise.all([
      cli('--help'), cli('--version'),
      ...['compile', 'run', 'inspect', 'devices'].map((c) => cli(c, '--help')),
    ]);
    expect(top.code).toBe(0);
    for (const c of ['compile', 'run', 'inspect', 'devices']) expect(top.stdout).toContain(`spiketrace ${c}`);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const [i, c] of ['compile', 'run', 'inspect', 'devices'].entries()) {
      const r = cmds[i]!;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`usage: spiketrace ${c}`);
      expect(r.stdout).toContain('--help');
    }
    expect(cmds[0]!.stdout).toContain('--dt');
    expect(cmds[1]!.stdout).toContain('--json');
  });
});

describe('spiketrace compile', () => {
  it('writes the bundle, the typed module and the kernels, and prints a summary', () => {
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(existsSync(bundleFile)).toBe(true);
    expect(existsSync(path.join(dir, 'lif-walkthrough.ts'))).toBe(true);
    const m = JSON.parse(readFileSync(bundleFile, 'utf8')) as BundleManifest;
    for (const k of m.plan.kernels) {
      expect(readFileSync(path.join(dir, 'lif-walkthrough.kernels', `${k.name}.wgsl`), 'utf8')).toContain('fn main');
    }
    expect(readFileSync(path.join(dir, 'lif-walkthrough.ts'), 'utf8')).toMatch(/export class/);
    const s = compiled.stdout;
    expect(s).toMatch(/kernels: \d+/);
    expect(s).toMatch(/dispatches: \d+ per/);
    expect(s).toMatch(/buffers: \d+, .*B/);
    expect(s).toContain('lif.V: f32[1] mV');
    expect(s).toContain('t: f32[] ms');
    expect(s).toContain('V: f32[1] mV');
    expect(s).toContain('lif-walkthrough.bundle.json');
  });

  it('parses --dt values into time Quantities', () => {
    expect(String(parseDuration('0.1ms'))).toBe('0.1 ms');
    expect(parseDuration('100us').unit.name).toBe('us');
    expect(parseDuration('0.0001s').unit.name).toBe('s');
  });
});

describe('spiketrace run', () => {
  it('runs the bundle (--json) and matches BundleRunner in this process', async () => {
    const r = await cli('run', bundleFile, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r'); // no progress bar off a TTY
    const j = JSON.parse(r.stdout) as {
      steps: number; inputs: Record<string, string>; timings: { runMs: number; stepsPerSecond: number };
      outputs: Record<string, { shape: number[]; unit: string; all: { min: number; max: number }; lastValues: number[] }>;
    };
    expect(j.steps).toBe(2000);
    expect(j.inputs.t).toBe('time');
    expect(j.timings.runMs).toBeGreaterThan(0);
    const V = j.outputs.V!;
    expect(V.shape).toEqual([2000, 1]);
    expect(V.unit).toBe('mV');
    // at rest at -65 mV, then driven to threshold (-50) and reset: spikes happened
    expect(V.all.min).toBeCloseTo(-65, 3);
    expect(V.all.max).toBeGreaterThan(-51);
    expect(V.all.max).toBeLessThanOrEqual(-49.9);

    const runner = await BundleRunner.load(readFileSync(bundleFile, 'utf8'));
    try {
      const out = await runner.run({ inputs: defaultInputs(runner.manifest).inputs });
      const mine = out.V as Float32Array;
      expect(V.lastValues).toEqual([mine[mine.length - 1]]);
      // V went above -51 and later came back below -60: a reset
      const firstHigh = mine.findIndex((v) => v > -51);
      expect(firstHigh).toBeGreaterThan(0);
      expect(mine.slice(firstHigh).some((v) => v < -60)).toBe(true);
    } finally {
      runner.dispose();
    }
  });

  it('runs a model file for --steps N (compiled first) and prints timings', async () => {
    const r = await cli('run', MODEL, '--steps', '600');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('600 steps');
    expect(r.stdout).toMatch(/compile \d+ ms/);
    expect(r.stdout).toMatch(/run [\d.]+ ms/);
    expect(r.stdout).toMatch(/steps\/s/);
    expect(r.stdout).toContain('output V: f32[600, 1] mV');
  });
});

describe('spiketrace inspect', () => {
  it('shows the graphs before and after the passes, the plan and the WGSL of a model', async () => {
    const r = await cli('inspect', MODEL);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('traced graph (before passes)');
    expect(r.stdout).toContain('optimized graph (after passes)');
    expect(r.stdout).toMatch(/graph \w+ \{/);
    expect(r.stdout).toContain('input state#0 "lif.V"');
    expect(r.stdout).toMatch(/plan (temporal-fusion|dispatch-chain):/);
    expect(r.stdout).toContain('fn main');
  });

  it('shows a bundle\'s interface, plan and WGSL', async () => {
    const r = await cli('inspect', bundleFile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('lif.V: f32[1] mV');
    expect(r.stdout).toMatch(/plan (temporal-fusion|dispatch-chain):/);
    expect(r.stdout).toContain('fn main');
  });
});

describe('spiketrace devices', () => {
  it('lists an adapter with its key limits', async () => {
    const r = await cli('devices');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ WebGPU adapter\(s\):/);
    expect(r.stdout).toContain('[0] ');
    for (const k of ['maxStorageBuffersPerShaderStage', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup', 'features:']) {
      expect(r.stdout).toContain(k);
    }
  });
});

describe('errors: one line on stderr, non-zero exit', () => {
  it('reports each failure clearly', async () => {
    const noDefault = path.join(dir, 'no-default.ts');
    writeFileSync(noDefault, 'export const notAModel = 1;\n');
    const cases: [string[], RegExp, number?][] = [
      [['run', 'out/does-not-exist.bundle.json'], /bundle file not found: out\/does-not-exist\.bundle\.json/],
      [['compile', 'does/not/exist.ts'], /model file not found/],
      [['compile', noDefault], /has no default export/],
      [['compile', MODEL, '--dt', '5mV'], /--dt.*mV.*not a unit of time/],
      [['frobnicate'], /unknown command "frobnicate"/, 2],
      [['compile', MODEL, '--bogus'], /unknown option --bogus/, 2],
      [['run', bundleFile, '--steps', '10'], /compiled for 2000 steps, not 10/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    results.forEach((r, i) => {
      const [args, re, code] = cases[i]!;
      const lines = errLines(r);
      expect(lines, `spiketrace ${args.join(' ')}`).toHaveLength(1);
      expect(lines[0]).toMatch(/^spiketrace: /);
      expect(lines[0]).toMatch(re);
      expect(r.code, `spiketrace ${args.join(' ')}`).toBe(code ?? 1);
      expect(r.stdout).toBe('');
    });
  });
});
