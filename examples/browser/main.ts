/**
 * The browser example: loads compiled bundles (plain JSON, made ahead of time by build.ts), runs
 * them on the page's WebGPU (`navigator.gpu`) with the runtime alone, and draws what they output:
 * a voltage trace for an output `V` of one neuron (with the threshold), a spike raster and the
 * population rate for an output `spikes`: either [T, N] of 0/1, or (dtype u32, as the COBA network
 * records them) packed bits, 32 neurons per word, bit j of word w = neuron 32·w + j. Imports nothing of Spiketrace but '@spiketrace/runtime': the
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
  /** For a network: its neuron count (to unpack packed spikes) and how many of the first are excitatory. */
  neurons?: number;
  excitatory?: number;
}

export interface BundleResult {
  name: string;
  outputs: Record<string, number[]>;
  finalState: Record<string, number[]>;
  /** Per output V of one neuron: the steps at which V was reset (a drop of more than 1 mV). */
  resetSteps: Record<string, number[]>;
  /** When the bundle has an output `spikes`: [step, neuron] of every spike (unpacked when packed). */
  spikes?: Array<[number, number]>;
  /** Whether `spikes` came packed (u32 words, 32 neurons each), and the neuron count it was unpacked to. */
  packedSpikes?: boolean;
  neurons?: number;
  /** Mean rates (Hz) over the run: all neurons, and E / I when the catalog gives the excitatory count. */
  rates?: { all: number; E?: number; I?: number };
  /** What the bundle needs of the device (manifest.requires). */
  requires?: BundleManifest['requires'];
  /**
   * Set when the runtime refused the bundle because this page's adapter is below what it needs
   * (manifest.requires): the runtime's error, before any GPU work. The other bundles still run.
   */
  refused?: string;
  runMs: number;
}

export interface PageResult {
  status: 'running' | 'done' | 'error';
  error?: string;
  adapter?: {
    vendor: string; architecture: string; device: string; description: string; summary: string;
    /** The limits that decide which bundles run here. */
    limits: { maxStorageBuffersPerShaderStage: number; maxStorageBufferBindingSize: number; maxBufferSize: number };
  };
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

/** Decode spikes: [T, N] of 0/1, or packed u32 words [T, ceil(n/32)] (bit j of word w = neuron 32·w + j). */
function spikeList(data: WordArray, steps: number, per: number, packed: boolean, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = 0; t < steps; t++) {
    if (!packed) {
      for (let j = 0; j < per; j++) if (data[t * per + j]) out.push([t, j]);
      continue;
    }
    for (let w = 0; w < per; w++) {
      let bits = data[t * per + w]! >>> 0;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits); // lowest set bit
        const j = w * 32 + b;
        if (j < n) out.push([t, j]);
        bits &= bits - 1;
      }
    }
  }
  out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return out;
}

function drawRaster(parent: HTMLElement, spikes: ReadonlyArray<readonly [number, number]>, steps: number, n: number, dt: number, title: string, nE?: number): void {
  const W = 900, H = Math.min(520, Math.max(240, 120 + n * 2));
  const ctx = makeCanvas(parent, W, H, `${title}: spike raster`);
  const f = axes(ctx, W, H, {
    xmin: 0, xmax: steps * dt, ymin: -0.5, ymax: n - 0.5, xlabel: 'time (ms)', ylabel: 'neuron', title,
    yticks: ticks(0, n - 1, 5).filter((t) => Number.isInteger(t)),
  });
  const dotH = Math.max(1, Math.min(4, f.h / n));
  const dotW = n > 400 ? 1 : 1.5;
  for (const [t, j] of spikes) {
    ctx.fillStyle = nE !== undefined && j >= nE ? '#c0392b' : '#222';
    ctx.fillRect(px(f, t * dt) - dotW / 2, py(f, j) - dotH / 2, dotW, dotH);
  }
  if (nE !== undefined && nE < n) {
    // the E / I boundary and a legend above the plot
    ctx.save();
    ctx.strokeStyle = '#888';
    ctx.setLineDash([4, 4]);
    const y = py(f, nE - 0.5);
    ctx.beginPath(); ctx.moveTo(f.x0, y); ctx.lineTo(f.x0 + f.w, y); ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = `12px ${FONT}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    const items: Array<[string, string]> = [[`E (neurons 0-${nE - 1})`, '#222'], [`I (${nE}-${n - 1})`, '#c0392b']];
    let lx = f.x0 + f.w;
    for (const [text, color] of items.reverse()) {
      lx -= ctx.measureText(text).width + 18;
      ctx.fillStyle = color;
      ctx.fillRect(lx, f.y0 - 18, 10, 8);
      ctx.fillStyle = '#222';
      ctx.fillText(text, lx + 14, f.y0 - 14);
      lx -= 14;
    }
    ctx.restore();
  }
}

/** Population rate in 1 ms bins (all neurons, or E and I). */
function drawRate(parent: HTMLElement, spikes: ReadonlyArray<readonly [number, number]>, steps: number, n: number, dt: number, title: string, nE?: number): void {
  const W = 900, H = 300;
  const bin = Math.max(1, Math.round(1 / dt));
  const nb = Math.ceil(steps / bin);
  const groups = nE !== undefined && nE > 0 && nE < n
    ? [{ name: 'E', lo: 0, hi: nE, color: '#222' }, { name: 'I', lo: nE, hi: n, color: '#c0392b' }]
    : [{ name: 'all', lo: 0, hi: n, color: '#1f5fbf' }];
  const series = groups.map((g) => {
    const c = new Float64Array(nb);
    for (const [t, j] of spikes) if (j >= g.lo && j < g.hi) c[Math.floor(t / bin)]! += 1;
    return { ...g, hz: Array.from(c, (x, b) => x / (g.hi - g.lo) / ((Math.min(steps, (b + 1) * bin) - b * bin) * dt / 1000)) };
  });
  let hi = 0;
  for (const sr of series) for (const v of sr.hz) hi = Math.max(hi, v);
  const ctx = makeCanvas(parent, W, H, `${title}: population rate`);
  const f = axes(ctx, W, H, { xmin: 0, xmax: steps * dt, ymin: 0, ymax: (hi || 1) * 1.08, xlabel: 'time (ms)', ylabel: 'rate (Hz)', title });
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  for (const sr of series) {
    ctx.strokeStyle = sr.color;
    ctx.lineWidth = 1.4;
    ctx.beginPath();
    sr.hz.forEach((v, b) => {
      const x = px(f, (b + 0.5) * bin * dt), y = py(f, v);
      if (b === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.restore();
  ctx.save();
  ctx.font = `12px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  let lx = f.x0 + f.w;
  for (const sr of [...series].reverse()) {
    const text = sr.name === 'all' ? 'all neurons' : sr.name;
    lx -= ctx.measureText(text).width + 32;
    ctx.strokeStyle = sr.color;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(lx, f.y0 - 14); ctx.lineTo(lx + 24, f.y0 - 14); ctx.stroke();
    ctx.fillStyle = '#222';
    ctx.fillText(text, lx + 28, f.y0 - 14);
    lx -= 16;
  }
  ctx.restore();
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
  const text = await res.text();
  const requires = (JSON.parse(text) as BundleManifest).requires;
  const have = result.adapter?.limits.maxStorageBuffersPerShaderStage;
  if (requires.maxStorageBuffersPerShaderStage > 8) {
    const need = document.createElement('p');
    need.className = 'meta';
    need.textContent = `This bundle binds ${requires.maxStorageBuffersPerShaderStage} storage buffers per shader stage (more than WebGPU's default 8): ` +
      `it needs an adapter that allows at least that many; this page's adapter allows ${have ?? 'an unknown number'}.`;
    section.appendChild(need);
  }
  let runner: BundleRunner;
  try {
    runner = await BundleRunner.load(text);
  } catch (e) {
    const lim = result.adapter?.limits;
    const below = lim !== undefined && (requires.maxStorageBuffersPerShaderStage > lim.maxStorageBuffersPerShaderStage ||
      requires.maxStorageBufferBindingSize > lim.maxStorageBufferBindingSize || requires.maxBufferSize > lim.maxBufferSize);
    if (!below) throw e;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const err = document.createElement('p');
    err.className = 'refused';
    err.textContent = `Not run on this adapter: ${msg}.`;
    section.appendChild(err);
    const name = (JSON.parse(text) as BundleManifest).name;
    return { name, outputs: {}, finalState: {}, resetSteps: {}, requires, refused: msg, runMs: 0 };
  }
  result.runtimeAdapter ??= runner.ctx.adapterDescription;
  try {
    const m = runner.manifest;
    const dt = dtMs(m);
    const t0 = performance.now();
    const out = await runner.run({ inputs: makeInputs(m) });
    const runMs = performance.now() - t0;
    const r: BundleResult = { name: m.name, outputs: {}, finalState: {}, resetSteps: {}, requires: m.requires, runMs };
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
        const packed = o.dtype === 'u32';
        // packed: the neuron count from bundles.json, else the size of the State that fits the words
        const fits = m.states.map((st) => st.shape.reduce((a, d) => a * d, 1)).filter((k) => k > (per - 1) * 32 && k <= per * 32);
        const n = packed ? Math.min(entry.neurons ?? (fits.length ? Math.max(...fits) : per * 32), per * 32) : per;
        const steps = m.options.steps;
        const nE = entry.excitatory;
        r.packedSpikes = packed;
        r.neurons = n;
        r.spikes = spikeList(data, steps, per, packed, n);
        const secs = (steps * dt) / 1000;
        r.rates = { all: r.spikes.length / n / secs };
        if (nE !== undefined && nE > 0 && nE < n) {
          const e = r.spikes.reduce((a, [, j]) => a + (j < nE ? 1 : 0), 0);
          r.rates.E = e / nE / secs;
          r.rates.I = (r.spikes.length - e) / (n - nE) / secs;
        }
        drawRaster(section, r.spikes, steps, n, dt, `${m.name}: spikes${packed ? ' (unpacked from 32 neurons per u32 word)' : ''}`, nE);
        drawRate(section, r.spikes, steps, n, dt, `${m.name}: population rate (1 ms bins)`, nE);
        const sp = document.createElement('p');
        sp.className = 'meta';
        const fmtHz = (x: number) => `${x.toFixed(1)} Hz`;
        sp.textContent = `${r.spikes.length} spikes of ${n} neurons in ${fmt(steps * dt)} ms: mean rate ${fmtHz(r.rates.all)}` +
          (r.rates.E !== undefined ? ` (E ${fmtHz(r.rates.E)}, I ${fmtHz(r.rates.I!)})` : '') + '.';
        section.appendChild(sp);
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
  const l = adapter.limits;
  const a = {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, summary: '',
    limits: {
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
    },
  };
  a.summary = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return a;
}

async function main(): Promise<void> {
  try {
    if ('fonts' in document) await document.fonts.load(`12px "DejaVu Sans Page"`).catch(() => undefined);
    const adapter = await adapterInfo();
    result.adapter = adapter;
    $('adapter').textContent = `WebGPU adapter: ${adapter.summary}; ${adapter.limits.maxStorageBuffersPerShaderStage} storage buffers per shader stage`;
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
    const refused = Object.values(result.bundles).filter((b) => b.refused).map((b) => b.name);
    setStatus(`done: ${catalog.length - refused.length} of ${catalog.length} bundle(s) ran on WebGPU in this page` +
      (refused.length ? `; ${refused.join(', ')} needs more than this adapter allows (see below).` : '.'));
  } catch (e) {
    result.status = 'error';
    result.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    setStatus(`error: ${result.error}`, 'error');
    console.error(e);
  }
}

void main();
