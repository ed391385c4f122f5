/**
 * A progress bar on stderr for long rollouts, fed by the runtime's onProgress (steps whose GPU
 * work has completed). Drawn only on a TTY; redraws at most ~15 times a second.
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const NONE: Progress = { update() {}, finish() {} };

export function progressBar(label: string, opts: { enabled: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || !stream.isTTY) return NONE;
  const t0 = performance.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const cols = stream.columns || 80;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const secs = (performance.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const rateText = rate >= 1000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0);
    const tail = ` ${(frac * 100).toFixed(0).padStart(3)}% ${String(done).padStart(String(total).length)}/${total} steps ${rateText.padStart(6)} steps/s`;
    const width = Math.max(10, Math.min(40, cols - label.length - tail.length - 4));
    const fill = Math.round(frac * width);
    stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}]${tail}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = performance.now();
      if (done < total && now - last < 66) return;
      last = now;
      draw(done, total);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
