// Plotting helpers for the examples and benchmark reports.
//
// Figures are Vega-Lite specs compiled to Vega and rendered headless in Node (no canvas,
// no browser) to SVG; savePlot() also rasterizes the SVG to PNG with resvg. Text is set
// in DejaVu Sans, which the `dejavu-fonts-ttf` devDependency ships as TrueType files, so
// PNGs have readable labels even on a machine with no system fonts at all.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import resvgPkg from '@resvg/resvg-js';

const { Resvg } = resvgPkg;

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LinePlotOptions {
  title?: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  hlines?: { y: number; label: string; color?: string; dash?: boolean }[];
}

export interface RasterOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** Series longer than this are reduced to min/max per bucket before plotting. */
export const MAX_POINTS_PER_SERIES = 5000;

const FONT = 'DejaVu Sans';
const FONT_STACK = `${FONT}, Helvetica, Arial, sans-serif`;

const baseConfig = {
  font: FONT_STACK,
  background: 'white',
  view: { stroke: '#888' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
};

/**
 * Reduces a long series to at most about `maxPoints` points: the x range is split into
 * buckets of consecutive samples, and each bucket keeps its first and last sample and its
 * minimum and maximum (in their original order), so spikes and resets stay visible.
 */
export function downsampleMinMax(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  maxPoints = MAX_POINTS_PER_SERIES,
): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints) return { x: Array.from({ length: n }, (_, i) => x[i]!), y: Array.from({ length: n }, (_, i) => y[i]!) };
  const buckets = Math.max(1, Math.floor(maxPoints / 4));
  const size = n / buckets;
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    if (hi <= lo) continue;
    let iMin = lo;
    let iMax = lo;
    for (let i = lo + 1; i < hi; i++) {
      if (y[i]! < y[iMin]!) iMin = i;
      if (y[i]! > y[iMax]!) iMax = i;
    }
    const keep = [...new Set([lo, iMin, iMax, hi - 1])].sort((a, c) => a - c);
    for (const i of keep) {
      ox.push(x[i]!);
      oy.push(y[i]!);
    }
  }
  return { x: ox, y: oy };
}

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Line plot of one or more series, with optional labelled horizontal reference lines. Returns SVG text. */
export async function linePlot(series: LineSeries[], opts: LinePlotOptions): Promise<string> {
  const values: { series: string; x: number; y: number }[] = [];
  for (const s of series) {
    const d = downsampleMinMax(s.x, s.y);
    for (let i = 0; i < d.x.length; i++) {
      const xv = d.x[i]!;
      const yv = d.y[i]!;
      if (Number.isFinite(xv) && Number.isFinite(yv)) values.push({ series: s.name, x: xv, y: yv });
    }
  }
  const layers: any[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 1.5, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: opts.xLabel, scale: { zero: false, nice: false } },
        y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
        color: series.length > 1 ? { field: 'series', type: 'nominal', title: null } : { value: '#1f77b4' },
        detail: { field: 'series', type: 'nominal' },
        order: { field: 'x', type: 'quantitative' },
      },
    },
  ];
  for (const h of opts.hlines ?? []) {
    const color = h.color ?? '#d62728';
    const data = { values: [{ y: h.y, label: h.label }] };
    layers.push({
      data,
      mark: { type: 'rule', color, strokeWidth: 1.2, ...(h.dash === false ? {} : { strokeDash: [6, 4] }) },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
    layers.push({
      data,
      mark: { type: 'text', color, align: 'right', baseline: 'bottom', dy: -2, fontSize: 11, x: 'width', xOffset: -4 },
      encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
    });
  }
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 640,
    height: opts.height ?? 320,
    config: baseConfig,
    layer: layers,
  } as TopLevelSpec;
  return renderSvg(spec);
}

/** Spike raster: one dot per spike at (time, neuron index). Returns SVG text. */
export async function rasterPlot(
  times: ArrayLike<number>,
  neurons: ArrayLike<number>,
  opts: RasterOptions,
): Promise<string> {
  const n = Math.min(times.length, neurons.length);
  const values = new Array<{ t: number; i: number }>(n);
  for (let k = 0; k < n; k++) values[k] = { t: times[k]!, i: neurons[k]! };
  const size = n > 20000 ? 2 : n > 2000 ? 4 : 9;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 640,
    height: opts.height ?? 320,
    config: baseConfig,
    data: { values },
    mark: { type: 'point', shape: 'square', filled: true, size, opacity: 0.9, color: 'black' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: opts.xLabel ?? 'time (ms)', scale: { zero: false, nice: false } },
      y: { field: 'i', type: 'quantitative', title: opts.yLabel ?? 'neuron index', scale: { zero: true } },
    },
  } as TopLevelSpec;
  return renderSvg(spec);
}

let fontFilesCache: string[] | undefined;
function bundledFontFiles(): string[] {
  if (fontFilesCache) return fontFilesCache;
  try {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    fontFilesCache = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(dir, f));
  } catch {
    fontFilesCache = []; // fall back to system fonts
  }
  return fontFilesCache;
}

/** Renders SVG text to PNG bytes (2x scale, white background). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: bundledFontFiles(),
      loadSystemFonts: true,
      defaultFontFamily: FONT,
      sansSerifFamily: FONT,
    },
  });
  return resvg.render().asPng();
}

/** Writes `basePath.svg` and `basePath.png` (creating folders) and returns both paths. */
export async function savePlot(svg: string, basePath: string): Promise<{ svg: string; png: string }> {
  const svgPath = `${basePath}.svg`;
  const pngPath = `${basePath}.png`;
  await mkdir(dirname(svgPath), { recursive: true });
  await writeFile(svgPath, svg);
  await writeFile(pngPath, svgToPng(svg));
  return { svg: svgPath, png: pngPath };
}
