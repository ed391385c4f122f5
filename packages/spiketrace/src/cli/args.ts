/**
 * A small argument parser: `--flag value`, `--flag=value`, boolean `--flag`, positionals.
 * Unknown options and missing values are usage errors (exit 2).
 */
import { UsageError } from './errors.ts';

export type OptionKind = 'string' | 'int' | 'boolean';

export interface OptionSpec {
  kind: OptionKind;
  /** Shown in help after the flag, e.g. "dir". */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** `spiketrace <name> <this>`, e.g. "<model.ts> [options]". */
  synopsis: string;
  summary: string;
  /** Names of the positional arguments, all required. */
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** Extra paragraphs for --help. */
  details?: string;
}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | number | boolean | undefined>;
  help: boolean;
}

export function usageLine(cmd: CommandSpec): string {
  return `spiketrace ${cmd.name} ${cmd.synopsis}`;
}

export function commandHelp(cmd: CommandSpec): string {
  const lines = [`usage: ${usageLine(cmd)}`, '', cmd.summary, ''];
  const rows: [string, string][] = Object.entries(cmd.options).map(([k, o]) => [`--${k}${o.value ? ` <${o.value}>` : ''}`, o.help]);
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map(([a]) => a.length));
  lines.push('options:');
  for (const [a, b] of rows) lines.push(`  ${a.padEnd(w)}  ${b}`);
  if (cmd.details) lines.push('', cmd.details);
  return lines.join('\n');
}

export function parseArgs(cmd: CommandSpec, argv: readonly string[]): Parsed {
  const usage = usageLine(cmd);
  const positionals: string[] = [];
  const options: Parsed['options'] = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.startsWith('--') ? a.slice(2, eq < 0 ? undefined : eq) : '';
    const spec = key ? cmd.options[key] : undefined;
    if (!spec) throw new UsageError(`${cmd.name}: unknown option ${eq < 0 ? a : a.slice(0, eq)}`, usage);
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`${cmd.name}: --${key} takes no value`, usage);
      options[key] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = a.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) throw new UsageError(`${cmd.name}: --${key} needs a value (${spec.value ?? spec.kind})`, usage);
      i++;
    }
    if (spec.kind === 'int') {
      const n = Number(raw);
      if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
        throw new UsageError(`${cmd.name}: --${key} must be a positive integer, got "${raw}"`, usage);
      }
      options[key] = n;
    } else {
      options[key] = raw;
    }
  }
  if (!help) {
    if (positionals.length < cmd.positionals.length) {
      throw new UsageError(`${cmd.name}: missing ${cmd.positionals.slice(positionals.length).map((p) => `<${p}>`).join(' ')}`, usage);
    }
    if (positionals.length > cmd.positionals.length) {
      throw new UsageError(`${cmd.name}: unexpected argument "${positionals[cmd.positionals.length]}"`, usage);
    }
  }
  return { positionals, options, help };
}
