#!/usr/bin/env node
// Makes a checkout ready to run: npm packages installed, and a WebGPU adapter that Dawn
// (npm `webgpu`) can use. Runs before `npm test`, `npm run demo` and `npm run bench`, so
// that those commands work as they stand on a fresh machine. Plain Node, no dependencies:
// node_modules may not exist yet when this starts.
//
//   1. node_modules missing, or package-lock.json newer than the install: `npm ci`
//      (`npm install` when there is no lock, or when `npm ci` refuses a stale lock).
//   2. XDG_RUNTIME_DIR set for children when unset (silences Mesa's warnings).
//   3. Probe for an adapter in a child process (Dawn can keep the event loop alive and
//      a broken driver can hang or crash: never in this process, always with a timeout).
//   4. None found, on Linux: scripts/install-lavapipe.sh (Mesa's lavapipe from
//      bookworm-backports; needs root and apt, exits 3 with a message otherwise), probe
//      again; still none: say what to install and exit 1.
//
// Environment knobs (for testing the set-up itself):
//   SPIKETRACE_FORCE_NO_ADAPTER=1  make every probe report "no adapter"
//   SPIKETRACE_NO_INSTALL=1        never run the lavapipe installer
//   SPIKETRACE_PROBE_TIMEOUT_MS    probe timeout (default 30000)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, accessSync, constants, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const say = (msg) => console.log(`spiketrace: ${msg}`);
const warn = (msg) => console.error(`spiketrace: ${msg}`);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

// ---- 1. npm packages -------------------------------------------------------------
/** The name of a workspace package that has no link in node_modules (a new workspace), if any. */
function unlinkedWorkspace() {
  try {
    const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
    for (const ws of Array.isArray(workspaces) ? workspaces : []) {
      if (ws.includes('*')) continue;
      const pj = join(root, ws, 'package.json');
      if (!existsSync(pj)) continue;
      const name = JSON.parse(readFileSync(pj, 'utf8')).name;
      if (name && !existsSync(join(root, 'node_modules', name))) return name;
    }
  } catch {
    /* a malformed package.json: let npm report it */
  }
  return null;
}

function ensurePackages() {
  const nodeModules = join(root, 'node_modules');
  const lock = join(root, 'package-lock.json');
  const installedLock = join(nodeModules, '.package-lock.json');
  const hasLock = existsSync(lock);
  let reason = null;
  if (!existsSync(nodeModules)) reason = 'node_modules is missing';
  else if (!existsSync(join(nodeModules, 'webgpu', 'package.json'))) reason = 'the webgpu package is missing';
  else if (hasLock && mtime(lock) > mtime(installedLock)) reason = 'package-lock.json changed since the last install';
  else {
    const missing = unlinkedWorkspace();
    if (missing) reason = `workspace ${missing} is not linked into node_modules`;
  }
  if (!reason) return;

  const run = (args) =>
    spawnSync(npmCmd, args, { cwd: root, stdio: 'inherit', env: process.env, shell: process.platform === 'win32' });
  const args = hasLock ? ['ci', '--no-fund', '--no-audit'] : ['install', '--no-fund', '--no-audit'];
  say(`${reason}: running npm ${args[0]}`);
  let r = run(args);
  if (r.status !== 0 && hasLock) {
    warn('npm ci failed (package.json and package-lock.json out of step?); trying npm install');
    r = run(['install', '--no-fund', '--no-audit']);
  }
  if (r.status !== 0) {
    warn(`npm ${args[0]} failed (exit ${r.status ?? r.signal}); fix the install and run again`);
    process.exit(1);
  }
}

// ---- 2. environment for children -------------------------------------------------
function ensureRuntimeDir() {
  const cur = process.env.XDG_RUNTIME_DIR;
  if (cur) {
    try {
      accessSync(cur, constants.W_OK);
      return;
    } catch {
      /* set a usable one below */
    }
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = join(tmpdir(), `spiketrace-xdg-${uid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  } catch {
    process.env.XDG_RUNTIME_DIR = tmpdir();
  }
}

// ---- 3. adapter probe -------------------------------------------------------------
const probeSource = `
const force = process.env.SPIKETRACE_FORCE_NO_ADAPTER === '1';
try {
  if (force) { console.log('SPIKETRACE_PROBE:none:forced by SPIKETRACE_FORCE_NO_ADAPTER=1'); process.exit(2); }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) { console.log('SPIKETRACE_PROBE:none:requestAdapter() returned null'); process.exit(2); }
  const info = adapter.info ?? {};
  const desc = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  const device = await adapter.requestDevice();
  device.destroy();
  console.log('SPIKETRACE_PROBE:ok:' + desc);
  process.exit(0);
} catch (e) {
  console.log('SPIKETRACE_PROBE:none:' + String(e && e.message ? e.message : e).split('\\n')[0]);
  process.exit(2);
}
`;

function probe() {
  const timeout = Number(process.env.SPIKETRACE_PROBE_TIMEOUT_MS) || 30000;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probeSource], {
    cwd: root,
    env: process.env,
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('SPIKETRACE_PROBE:'));
  if (r.error?.code === 'ETIMEDOUT') {
    return { ok: false, why: `the probe timed out after ${timeout} ms`, stderr: r.stderr };
  }
  if (line?.startsWith('SPIKETRACE_PROBE:ok:') && r.status === 0) {
    return { ok: true, description: line.slice('SPIKETRACE_PROBE:ok:'.length).trim() };
  }
  const why = line
    ? line.slice('SPIKETRACE_PROBE:none:'.length)
    : `the probe exited with ${r.status ?? r.signal} before reporting`;
  return { ok: false, why, stderr: r.stderr };
}

// ---- 4. install lavapipe when allowed ----------------------------------------------
function tryInstallLavapipe() {
  if (process.env.SPIKETRACE_NO_INSTALL === '1') {
    warn('SPIKETRACE_NO_INSTALL=1: not installing a Vulkan driver');
    return false;
  }
  say("no WebGPU adapter found: installing Mesa's lavapipe (Vulkan on the CPU) with scripts/install-lavapipe.sh");
  const r = spawnSync('bash', [join(root, 'scripts', 'install-lavapipe.sh')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  return r.status === 0;
}

function explainAndExit(result) {
  const tail = (result.stderr ?? '').trim().split('\n').slice(-8).join('\n');
  warn(`no WebGPU adapter found (${result.why}).`);
  if (tail) console.error(`spiketrace: last lines from the probe:\n${tail}`);
  const lines = [
    'Spiketrace runs on WebGPU through Dawn (npm "webgpu"), which needs a Vulkan driver',
    '(Metal on macOS, D3D12 on Windows). On a Linux machine without a GPU, install Mesa\'s',
    'lavapipe, Mesa >= 24 (Debian 12\'s own Mesa 22.3 is too old for Dawn), e.g. as root:',
    '  add the bookworm-backports suite to apt\'s sources, then',
    '  apt-get update && apt-get install -y libvulkan1 &&',
    '  apt-get install -y -t bookworm-backports mesa-vulkan-drivers',
    '(scripts/install-lavapipe.sh does exactly this when run as root.)',
    'With a GPU, install its vendor\'s Vulkan driver.',
  ];
  console.error(lines.map((l) => `spiketrace: ${l}`).join('\n'));
  process.exit(1);
}

// ---- main --------------------------------------------------------------------------
ensurePackages();
ensureRuntimeDir();
let result = probe();
if (!result.ok) {
  if (process.platform === 'linux' && tryInstallLavapipe()) result = probe();
  if (!result.ok) explainAndExit(result);
}
say(`WebGPU adapter: ${result.description}`);
