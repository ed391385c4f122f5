/**
 * examples/train-snn.ts end to end (a child process, as a user runs it): with --json it prints one
 * object, the held-out loss falls and the held-out accuracy rises well above chance within a short
 * run; --seed changes the data; the task needs timing (every class fires every channel once).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brainpy } from 'spiketrace';
import { PatternTask } from '../../examples/models/train-snn.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('examples/train-snn.ts', () => {
  it('learns: held-out loss falls and accuracy rises well above chance (30 iterations)', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/train-snn.ts', '--json', '--iterations', '30', '--seed', '1'], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, number>;
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['initialLoss', 'finalLoss', 'heldOutAccuracy', 'chance', 'wallSeconds']));
    expect(r.chance).toBe(0.25);
    expect(r.finalLoss).toBeLessThan(0.75 * (r.initialLoss as number));
    expect(r.heldOutAccuracy).toBeGreaterThan(0.55);
    expect(r.wallSeconds).toBeGreaterThan(0);
  }, 180_000);

  it('the task: one spike per channel per template (counts carry no class), seeds change the templates', () => {
    const a = new PatternTask({ seed: 0, drop: 0, noise: 0, jitter: 0 });
    const { x, labels } = a.sample(16, new brainpy.Random(3));
    for (let b = 0; b < 16; b++) {
      for (let i = 0; i < a.nIn; i++) {
        let c = 0;
        for (let t = 0; t < a.steps; t++) c += x.data[(t * 16 + b) * a.nIn + i] as number;
        expect(c).toBe(1);
      }
    }
    expect(new Set(labels.data).size).toBeGreaterThan(1);
    expect([...new PatternTask({ seed: 1 }).templates]).not.toEqual([...a.templates]);
  });
});
