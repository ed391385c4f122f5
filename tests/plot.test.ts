import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downsampleMinMax, linePlot, rasterPlot, savePlot } from '../examples/lib/plot.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const outDir = process.env.SPIKETRACE_PLOT_TEST_OUT; // set to keep the files for a look
let tmp: string | undefined;

async function dir(): Promise<string> {
  if (outDir) return outDir;
  tmp ??= await mkdtemp(join(tmpdir(), 'spiketrace-plot-'));
  return tmp;
}

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian u32 at bytes 16 and 20.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('plot helpers', () => {
  it('renders a line plot with a threshold line to SVG and PNG', async () => {
    const t = Array.from({ length: 400 }, (_, i) => i * 0.25);
    let v = -65;
    const V = t.map(() => {
      v += 0.25 * ((-65 - v) / 10 + 2.2);
      if (v >= -50) v = -65;
      return v;
    });
    const svg = await linePlot([{ name: 'V', x: t, y: V }], {
      title: 'LIF membrane potential',
      xLabel: 'time (ms)',
      yLabel: 'V (mV)',
      hlines: [{ y: -50, label: 'threshold', dash: true }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('time (ms)');
    expect(svg).toContain('V (mV)');
    expect(svg).toContain('threshold');
    expect(svg).toContain('LIF membrane potential');
    expect(svg).toMatch(/<path[^>]*d="M[^"]{200,}/); // the trace itself
    expect(svg).toContain('stroke-dasharray'); // the dashed threshold

    const files = await savePlot(svg, join(await dir(), 'nested', 'line'));
    expect(await readFile(files.svg, 'utf8')).toBe(svg);
    const png = await readFile(files.png);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const { width, height } = pngSize(png);
    expect(width).toBeGreaterThan(600);
    expect(width).toBeLessThan(4000);
    expect(height).toBeGreaterThan(300);
    expect(height).toBeLessThan(4000);
  });

  it('renders a spike raster with one symbol per spike', async () => {
    const times: number[] = [];
    const neurons: number[] = [];
    for (let i = 0; i < 20; i++) for (let k = 0; k < 5; k++) { times.push(5 + k * 20 + i); neurons.push(i); }
    const svg = await rasterPlot(times, neurons, { title: 'raster', xLabel: 'time (ms)', yLabel: 'neuron' });
    expect(svg).toContain('time (ms)');
    expect(svg).toContain('neuron');
    expect(svg).toContain('role-mark'); // vega's mark group
    const symbols = svg.match(/<path[^>]*transform="translate\([^)]*\)"[^>]*d="M[^"]*"/g) ?? [];
    expect(symbols.length).toBeGreaterThanOrEqual(times.length);

    const files = await savePlot(svg, join(await dir(), 'raster'));
    const png = await readFile(files.png);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png).width).toBeGreaterThan(600);
  });

  it('downsamples long series keeping every bucket extreme', () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 997 === 500 ? 30 : Math.sin(i / 50)));
    const d = downsampleMinMax(x, y);
    expect(d.x.length).toBeLessThanOrEqual(5000);
    expect(d.x.length).toBeGreaterThan(1000);
    expect(Math.max(...d.y)).toBe(30);
    const spikes = d.y.filter((v) => v === 30).length;
    expect(spikes).toBe(Math.floor((n - 500 - 1) / 997) + 1); // every spike survives
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThan(d.x[i - 1]!);
  });
});
