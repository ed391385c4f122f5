/**
 * The `spiketrace` command line: compile, run, inspect, devices. Run through bin/spiketrace.mjs
 * (which registers tsx). Errors are one line on stderr, `spiketrace: <message>`; wrong usage
 * exits 2, other failures 1. The device is released and the process exits at the end (Dawn keeps
 * Node alive otherwise).
 */
import { releaseDevice } from '@spiketrace/runtime';
import { VERSION } from '../version.ts';
import { commandHelp, parseArgs, type CommandSpec, type Parsed } from './args.ts';
import { compileCommand, runCompile } from './compile.ts';
import { devicesCommand, runDevices } from './devices.ts';
import { CliError, oneLine, UsageError } from './errors.ts';
import { inspectCommand, runInspect } from './inspect.ts';
import { runCommand, runRun } from './run.ts';

type Out = (s: string) => void;

const COMMANDS: { spec: CommandSpec; run: (args: Parsed, out: Out) => Promise<void> }[] = [
  { spec: compileCommand, run: runCompile },
  { spec: runCommand, run: runRun },
  { spec: inspectCommand, run: runInspect },
  { spec: devicesCommand, run: runDevices },
];

const USAGE = 'spiketrace <compile|run|inspect|devices> [options] (spiketrace --help for more)';

export function mainHelp(): string {
  return [
    `spiketrace ${VERSION}: compile spiking-network models to WGSL and run them on WebGPU`,
    '',
    'usage: spiketrace <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  spiketrace ${c.spec.name} ${c.spec.synopsis}`),
    '',
    'options:',
    '  -h, --help     show help (also: spiketrace <command> --help)',
    '  -v, --version  print the version',
    '',
    'A model file is a .ts module whose default export is a ModelSpec or a function returning one',
    '(see examples/models/lif-walkthrough.ts).',
  ].join('\n');
}

/** Run the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], out: Out = (s) => process.stdout.write(`${s}\n`), err: Out = (s) => process.stderr.write(`${s}\n`)): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const target = first === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
      out(target ? commandHelp(target.spec) : mainHelp());
      return 0;
    }
    if (first === '-v' || first === '--version' || first === 'version') {
      out(VERSION);
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.spec.name === first);
    if (!cmd) {
      throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`, USAGE);
    }
    const args = parseArgs(cmd.spec, rest);
    if (args.help) {
      out(commandHelp(cmd.spec));
      return 0;
    }
    await cmd.run(args, out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`spiketrace: ${e.message}; usage: ${e.usage}`);
      return e.exitCode;
    }
    err(`spiketrace: ${oneLine(e)}`);
    if (process.env.SPIKETRACE_DEBUG && e instanceof Error && !(e instanceof CliError)) err(e.stack ?? '');
    return e instanceof CliError ? e.exitCode : 1;
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

/** Entry point: run, release the device, exit. */
export async function cli(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const code = await main(argv);
  try {
    releaseDevice();
  } catch {
    // the device may already be gone
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
