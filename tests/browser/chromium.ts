/**
 * Debian's Chromium for the browser end-to-end test: found at /usr/bin/chromium, or installed with
 * apt-get when we are root on a machine with apt (as `npm test` does for Mesa's lavapipe); when
 * neither, a clear error that says what to install. Never a silent skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags that give WebGPU in headless Debian Chromium on this machine (issue 5, "The browser"):
 * SwiftShader's adapter, no network but 127.0.0.1. The fresh --user-data-dir is given separately
 * (playwright's launchPersistentContext owns that flag).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

const WHAT_TO_INSTALL =
  'the browser test needs Debian\'s Chromium at /usr/bin/chromium: run (as root) ' +
  '`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`';

/** apt-get, asynchronously (an install takes minutes: the test process's event loop keeps running). */
function apt(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((done) => {
    const child = spawn('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => done({ ok: false, out: `${out}${String(e)}` }));
    child.on('close', (code) => done({ ok: code === 0, out }));
  });
}

function hasCandidate(): boolean {
  const r = spawnSync('apt-cache', ['policy', 'chromium'], { encoding: 'utf8' });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout ?? '');
  return !!m && m[1] !== '(none)';
}

/** The path of Chromium, installing it first when missing and allowed; throws with what to install otherwise. */
export async function ensureChromium(log: (msg: string) => void = (m) => console.log(`browser test: ${m}`)): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(`${WHAT_TO_INSTALL} (${CHROMIUM} is missing and this process ${!hasApt ? 'has no apt-get' : 'is not root'}, so the test cannot install it)`);
  }
  if (!hasCandidate()) {
    log('no chromium package in the apt lists: apt-get update');
    const u = await apt(['update']);
    if (!u.ok) throw new Error(`${WHAT_TO_INSTALL} (apt-get update failed: ${u.out.trim().split('\n').slice(-5).join(' | ')})`);
  }
  log('installing Debian\'s chromium with apt-get (this can take a few minutes)');
  let r = await apt(['install', '-y', 'chromium']);
  if (!r.ok) {
    // stale lists (a 404 on a superseded .deb): refresh once and retry
    log('apt-get install failed; apt-get update and one retry');
    await apt(['update']);
    r = await apt(['install', '-y', 'chromium']);
  }
  if (!r.ok || !existsSync(CHROMIUM)) {
    throw new Error(`${WHAT_TO_INSTALL} (apt-get install chromium failed: ${r.out.trim().split('\n').slice(-5).join(' | ')})`);
  }
  log(`installed ${CHROMIUM}`);
  return CHROMIUM;
}
