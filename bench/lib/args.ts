/** `--name=value` from the command line of a bench script, or `dflt` when it is not given. */
export function argOf(name: string, dflt: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
}

/** A numeric `--name=value`, or `dflt`. */
export function numArg(name: string, dflt: number): number {
  return Number(argOf(name, String(dflt)));
}
