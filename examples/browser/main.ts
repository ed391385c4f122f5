/**
 * The browser example: loads compiled bundles (plain JSON, made ahead of time by build.ts), runs
 * them on the page's WebGPU (`navigator.gpu`) with the runtime alone, and draws what they output:
 * a voltage trace for an output `V` of one neuron (with the threshold), a spike raster for an
 * output `spikes` ([T, N] of 0/1). Imports nothing of Spiketrace but '@spiketrace/runtime': the
 * compiler never reaches the browser.
 *
 * The results are exposed as `window.__spiketrace` for the end-to-end test (tests/browser).
 */
import { BundleRunner, type BundleManifest, type WordArray } from '@spiketrace/runtime';

/** One entry of bundles.json, written by build.ts. */
export interface CatalogEntry {
  /** The bundle's file, relative to the page. */
  file: string;
  name: string;
  description: string;
  /** Spike threshold and reset of the model, in mV, when it has them (for the plot). */
  threshold_mV?: number;
  reset_mV?: number;
}

export interface BundleResult {
  name: string;
  outputs: Record<string, number[]>;
  finalState: Record<string, number[]>;
  /** Per output V of one neuron: the steps at which V was reset (a drop of more than 1 mV). */
  resetSteps: Record<string, number[]>;
  /** When the bundle has an output `spikes`: [step, neuron] of every 1. */
  spikes?: Array<[number, number]>;
  runMs: number;
}

export interface PageResult {
  status: 'running' | 'done' | 'error';
  error?: string;
  adapter?: { vendor: string; architecture: string; device: string; description: string; summary: string };
  /** The adapter as the runtime's device.ts describes the device it acquired from navigator.gpu. */
  runtimeAdapter?: string;
  /** The first bundle's (the walk-through LIF's) outputs and final states, flat. */
  outputs: Record<string, number[]>;
  finalState: Record<string, number[]>;
  /** Every bundle's results, by bundle name. */
  bundles: Record<string, BundleResult>;
}

declare global {
  interface Window {
    __spiketrace: PageResult;
  }
}

const result: PageResult = { status: 'running', outputs: {}, finalState: {}, bundles: {} };
window.__spiketrace = result;

const FONT = '"DejaVu Sans Page", "DejaVu Sans", sans-serif';

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

function setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
  const s = $('status');
  s.textContent = text;
  s.className = kind;
}

/** dt in ms from the manifest's options ("0.1 ms", "100 us", ...). */
function dtMs(m: BundleManifest): number {
  const match = /^\s*([0-9.eE+-]+)\s*(ms|us|µs|s)\s*$/.exec(m.options.dt);
  if (!match) throw new Error(`bundle "${m.name}": cannot read dt "${m.options.dt}"`);
  const v = Number(match[1]);
  return match[2] === 's' ? v * 1000 : match[2] === 'ms' ? v : v / 1000;
}

/** The per-step inputs the page knows how to make: a time input `t` in ms, t_i = f32(i * dt). */
function makeInputs(m: BundleManifest): Record<string, Float32Array> {
  const steps = m.options.steps;
  const dt = dtMs(m);
  const inputs: Record<string, Float32Array> = {};
  for (const inp of m.inputs) {
    const per = inp.shape.reduce((a, d) => a * d, 1);
    if (inp.name === 't' && inp.unit === 'ms' && per === 1 && inp.dtype === 'f32') {
      inputs.t = Float32Array.from({ length: steps }, (_, i) => Math.fround(i * dt));
    } else {
      throw new Error(`bundle "${m.name}": the page does not know how to make input "${inp.name}" (shape [${inp.shape.join(', ')}], ${inp.unit || 'no unit'})`);
    }
  }
  return inputs;
}

function resets(v: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < v.length; i++) if (v[i]! < v[i - 1]! - 1) out.push(i);
  return out;
}

// ---- drawing -------------------------------------------------------------------------------

interface Frame {
  ctx: CanvasRenderingContext2D;
  x0: number; y0: number; w: number; h: number;
  xmin: number; xmax: number; ymin: number; ymax: number;
}

function makeCanvas(parent: HTMLElement, cssW: number, cssH: number, label: string): CanvasRenderingContext2D {
  const c = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(cssW * dpr);
  c.height = Math.round(cssH * dpr);
  c.style.width = `${cssW}px`;
  c.style.height = `${cssH}px`;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  parent.appendChild(c);
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.scale(dpr, dpr);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cssW, cssH);
  return ctx;
}

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, target = 6): number[] {
  const span = hi - lo || 1;
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

function axes(ctx: CanvasRenderingContext2D, cssW: number, cssH: number, o: {
  xmin: number; xmax: number; ymin: number; ymax: number; xlabel: string; ylabel: string; title: string; yticks?: number[];
}): Frame {
  const x0 = 72, y0 = 36, w = cssW - x0 - 24, h = cssH - y0 - 56;
  const f: Frame = { ctx, x0, y0, w, h, xmin: o.xmin, xmax: o.xmax, ymin: o.ymin, ymax: o.ymax };
  ctx.save();
  ctx.strokeStyle = '#222';
  ctx.fillStyle = '#222';
  ctx.lineWidth = 1;
  ctx.font = `bold 15px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(o.title, x0, 22);
  ctx.font = `12px ${FONT}`;
  // grid and ticks
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks(o.xmin, o.xmax)) {
    const x = px(f, t);
    ctx.strokeStyle = '#e6e6e6';
    ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + h); ctx.stroke();
    ctx.strokeStyle = '#222';
    ctx.beginPath(); ctx.moveTo(x, y0 + h); ctx.lineTo(x, y0 + h + 5); ctx.stroke();
    ctx.fillText(fmt(t), x, y0 + h + 8);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of o.yticks ?? ticks(o.ymin, o.ymax, 5)) {
    const y = py(f, t);
    ctx.strokeStyle = '#e6e6e6';
    ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x0 + w, y); ctx.stroke();
    ctx.strokeStyle = '#222';
    ctx.beginPath(); ctx.moveTo(x0 - 5, y); ctx.lineTo(x0, y); ctx.stroke();
    ctx.fillText(fmt(t), x0 - 8, y);
  }
  ctx.strokeStyle = '#222';
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, w, h);
  // axis labels
  ctx.font = `13px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(o.xlabel, x0 + w / 2, cssH - 12);
  ctx.save();
  ctx.translate(18, y0 + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(o.ylabel, 0, 0);
  ctx.restore();
  ctx.restore();
  return f;
}

function px(f: Frame, x: number): number {
  return f.x0 + ((x - f.xmin) / (f.xmax - f.xmin)) * f.w;
}
function py(f: Frame, y: number): number {
  return f.y0 + f.h - ((y - f.ymin) / (f.ymax - f.ymin)) * f.h;
}

function drawVoltage(parent: HTMLElement, name: string, v: WordArray, dt: number, entry: CatalogEntry, title: string): void {
  const W = 900, H = 380;
  const ctx = makeCanvas(parent, W, H, `${title}: membrane potential ${name} over time`);
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  if (entry.threshold_mV !== undefined) { lo = Math.min(lo, entry.threshold_mV); hi = Math.max(hi, entry.threshold_mV); }
  const pad = (hi - lo || 1) * 0.08;
  const f = axes(ctx, W, H, {
    xmin: 0, xmax: v.length * dt, ymin: lo - pad, ymax: hi + pad,
    xlabel: 'time (ms)', ylabel: `${name} (mV)`, title,
  });
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  if (entry.threshold_mV !== undefined) {
    const y = py(f, entry.threshold_mV);
    ctx.strokeStyle = '#d62728';
    ctx.lineWidth = 1.5;
    ctx.setLineDash([7, 5]);
    ctx.beginPath(); ctx.moveTo(f.x0, y); ctx.lineTo(f.x0 + f.w, y); ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = '#1f5fbf';
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  for (let i = 0; i < v.length; i++) {
    const x = px(f, i * dt), y = py(f, v[i]!);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  }
  ctx.stroke();
  ctx.restore();
  // legend, above the plot on the right (never over the trace)
  ctx.save();
  ctx.font = `12px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillStyle = '#222';
  const ly = f.y0 - 14;
  const items: Array<{ text: string; color: string; dash: number[] }> = [{ text: `${name} (membrane potential)`, color: '#1f5fbf', dash: [] }];
  if (entry.threshold_mV !== undefined) items.push({ text: `threshold ${fmt(entry.threshold_mV)} mV`, color: '#d62728', dash: [7, 5] });
  let lx = f.x0 + f.w;
  for (const it of items.reverse()) {
    lx -= ctx.measureText(it.text).width + 32;
    ctx.strokeStyle = it.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(it.dash);
    ctx.beginPath(); ctx.moveTo(lx, ly); ctx.lineTo(lx + 24, ly); ctx.stroke();
    ctx.fillText(it.text, lx + 28, ly);
    lx -= 16;
  }
  ctx.restore();
}

function drawRaster(parent: HTMLElement, spikes: WordArray, steps: number, n: number, dt: number, title: string): void {
  const W = 900, H = Math.min(520, Math.max(240, 120 + n * 2));
  const ctx = makeCanvas(parent, W, H, `${title}: spike raster`);
  const f = axes(ctx, W, H, {
    xmin: 0, xmax: steps * dt, ymin: -0.5, ymax: n - 0.5, xlabel: 'time (ms)', ylabel: 'neuron', title,
    yticks: ticks(0, n - 1, 5).filter((t) => Number.isInteger(t)),
  });
  ctx.fillStyle = '#222';
  const dotH = Math.max(1, Math.min(4, f.h / n));
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < n; j++) if (spikes[t * n + j]) ctx.fillRect(px(f, t * dt) - 0.75, py(f, j) - dotH / 2, 1.5, dotH);
  }
}

// ---- running -------------------------------------------------------------------------------

async function runOne(entry: CatalogEntry, main: HTMLElement): Promise<BundleResult> {
  const section = document.createElement('section');
  const h2 = document.createElement('h2');
  h2.textContent = entry.name;
  const p = document.createElement('p');
  p.textContent = entry.description;
  section.append(h2, p);
  main.appendChild(section);

  const res = await fetch(entry.file);
  if (!res.ok) throw new Error(`fetching ${entry.file}: HTTP ${res.status}`);
  const runner = await BundleRunner.load(await res.text());
  result.runtimeAdapter ??= runner.ctx.adapterDescription;
  try {
    const m = runner.manifest;
    const dt = dtMs(m);
    const t0 = performance.now();
    const out = await runner.run({ inputs: makeInputs(m) });
    const runMs = performance.now() - t0;
    const r: BundleResult = { name: m.name, outputs: {}, finalState: {}, resetSteps: {}, runMs };
    for (const [k, v] of Object.entries(out)) r.outputs[k] = Array.from(v);
    for (const s of runner.stateNames) r.finalState[s] = Array.from(runner.getState(s));
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.textContent = `${m.options.steps} steps of ${m.options.dt} (${m.options.lowering}), ${m.plan.kernels.length} kernel(s); ran in ${runMs.toFixed(1)} ms on the page's GPU.`;
    section.appendChild(meta);
    for (const o of m.outputs) {
      const data = out[o.name];
      if (!data) continue;
      const per = o.shape.reduce((a, d) => a * d, 1);
      if (o.name === 'V' && per === 1 && o.unit === 'mV') {
        r.resetSteps[o.name] = resets(data);
        drawVoltage(section, o.name, data, dt, entry, `${m.name}: membrane potential`);
        const sp = document.createElement('p');
        sp.className = 'meta';
        sp.textContent = `${r.resetSteps[o.name]!.length} spikes (resets), at t = ${r.resetSteps[o.name]!.map((i) => fmt(i * dt)).join(', ')} ms.`;
        section.appendChild(sp);
      } else if (o.name === 'spikes') {
        r.spikes = [];
        for (let t = 0; t < m.options.steps; t++) for (let j = 0; j < per; j++) if (data[t * per + j]) r.spikes.push([t, j]);
        drawRaster(section, data, m.options.steps, per, dt, `${m.name}: spikes`);
      }
    }
    return r;
  } finally {
    runner.dispose();
  }
}

async function adapterInfo(): Promise<NonNullable<PageResult['adapter']>> {
  // The runtime acquired the device from navigator.gpu; ask the same navigator.gpu for the adapter's info.
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing). Chromium needs --enable-unsafe-webgpu on Linux, and the page must be served from a secure origin such as http://127.0.0.1');
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await gpu.requestAdapter());
  if (!adapter) throw new Error('navigator.gpu found no WebGPU adapter');
  const i = adapter.info;
  const a = { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, summary: '' };
  a.summary = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return a;
}

async function main(): Promise<void> {
  try {
    if ('fonts' in document) await document.fonts.load(`12px "DejaVu Sans Page"`).catch(() => undefined);
    const adapter = await adapterInfo();
    result.adapter = adapter;
    $('adapter').textContent = `WebGPU adapter: ${adapter.summary}`;
    const res = await fetch('bundles.json');
    if (!res.ok) throw new Error(`fetching bundles.json: HTTP ${res.status}`);
    const catalog = (await res.json()) as CatalogEntry[];
    const mainEl = $('bundles');
    for (const entry of catalog) {
      setStatus(`running ${entry.name} ...`);
      const r = await runOne(entry, mainEl);
      result.bundles[r.name] = r;
      if (Object.keys(result.outputs).length === 0) {
        result.outputs = r.outputs;
        result.finalState = r.finalState;
      }
    }
    result.status = 'done';
    setStatus(`done: ${catalog.length} bundle(s) ran on WebGPU in this page.`);
  } catch (e) {
    result.status = 'error';
    result.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    setStatus(`error: ${result.error}`, 'error');
    console.error(e);
  }
}

void main();
