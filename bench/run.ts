/**
 * Benchmark runner: `npm run bench -- <suite> [--flag=value ...]`.
 * Suites register by name below; an unknown or missing name prints the list.
 */
import { cobaSuite } from './suites/coba.ts';
import { lifSuite } from './suites/lif.ts';
import { trainSuite } from './suites/train.ts';

export interface SuiteArgs {
  /** Everything after the suite name, as given. */
  raw: string[];
  /** `--key=value` (or bare `--key`, value 'true'). */
  flags: Record<string, string>;
}

export interface Suite {
  name: string;
  description: string;
  run(args: SuiteArgs): Promise<void>;
}

const SUITES: Suite[] = [lifSuite, cobaSuite, trainSuite];

function usage(): string {
  return ['usage: npm run bench -- <suite> [--flag=value ...]', '', 'suites:',
    ...SUITES.map((s) => `  ${s.name.padEnd(10)} ${s.description}`), '', 'see bench/README.md for each suite\'s flags'].join('\n');
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) {
    if (name && name !== '--help' && name !== '-h') console.error(`bench: unknown suite "${name}"\n`);
    console.log(usage());
    return name && name !== '--help' && name !== '-h' ? 1 : 0;
  }
  const flags: Record<string, string> = {};
  for (const a of rest) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) { console.error(`bench: unexpected argument "${a}"\n`); console.log(usage()); return 1; }
    flags[m[1] as string] = m[2] ?? 'true';
  }
  await suite.run({ raw: rest, flags });
  return 0;
}

// Dawn can keep Node alive after the work is done: exit explicitly.
// Flush stdout first: process.exit does not wait for a piped stdout to drain.
const exit = (code: number): void => { process.stdout.write('', () => process.exit(code)); };
main().then(exit, (e: unknown) => { console.error(e); exit(1); });
