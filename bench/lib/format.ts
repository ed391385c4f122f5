/** Number formatting for the reports. */
export const sci = (x: number): string => (Number.isFinite(x) ? x.toExponential(2).replace('e+', 'e') : '–');
export const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const ratio = (x: number): string => (x >= 10 ? x.toFixed(1) : x.toFixed(2)) + '×';
export const nLabel = (n: number): string => {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
};
