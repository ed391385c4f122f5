/** Machine description recorded with every result file. */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { createRequire } from 'node:module';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cpus: number;
  memGiB: number;
  os: string;
  node: string;
  adapter?: string;
  packages: Record<string, string>;
  gitCommit?: string;
  gitDirty?: boolean;
  load1AtStart: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch { /* not Linux */ }
  return cpus()[0]?.model ?? 'unknown';
}

function pkgVersion(name: string): string {
  try {
    // Read node_modules/<name>/package.json directly: export maps may hide it from require.
    const req = createRequire(import.meta.url);
    const entry = req.resolve(name);
    const dir = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
    const pj = JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { version?: string };
    return pj.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function git(cmd: string): string | undefined {
  try {
    return execSync(`git ${cmd}`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(adapter?: string): MachineInfo {
  const status = git('status --porcelain');
  const info: MachineInfo = {
    date: new Date().toISOString(),
    cpuModel: cpuModel(),
    cpus: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    packages: { webgpu: pkgVersion('webgpu'), '@jax-js/jax': pkgVersion('@jax-js/jax'), tsx: pkgVersion('tsx') },
    load1AtStart: Math.round((loadavg()[0] as number) * 100) / 100,
  };
  if (adapter) info.adapter = adapter;
  const commit = git('rev-parse HEAD');
  if (commit) info.gitCommit = commit;
  if (status !== undefined) info.gitDirty = status.length > 0;
  return info;
}
