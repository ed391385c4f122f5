/** Errors the CLI reports as one line: `spiketrace: <message>`. */

/** A user-facing failure (a missing file, a bad value): exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Wrong usage (unknown command or option, missing argument): exit code 2, with the usage line. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string, readonly usage: string) {
    super(message, 2);
  }
}

/** One line for any error: the message only, its first line, no stack. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const kind = e instanceof Error && !(e instanceof CliError) && e.name && !['Error', 'CliError'].includes(e.name) ? `${e.name}: ` : '';
  return `${kind}${line || 'unknown error'}`;
}
