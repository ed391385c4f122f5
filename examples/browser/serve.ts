/**
 * A tiny static server for the built page, on a literal 127.0.0.1 (a secure origin, so the page
 * gets navigator.gpu; and the one host Chromium resolves under the test's host-resolver rules).
 *
 *   npx tsx examples/browser/serve.ts [--port 8080] [--dir out/browser]
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOutDir } from './build.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.ttf': 'font/ttf',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
};

export interface StaticServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Serve `dir` on 127.0.0.1 (port 0: an ephemeral one). */
export function serveStatic(dir: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
        let file = normalize(join(root, path));
        if (file !== root && !file.startsWith(root + sep)) {
          res.writeHead(403).end('forbidden');
          return;
        }
        let st = await stat(file).catch(() => undefined);
        if (st?.isDirectory()) {
          file = join(file, 'index.html');
          st = await stat(file).catch(() => undefined);
        }
        if (!st?.isFile()) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
          return;
        }
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': st.size,
          'cache-control': 'no-store',
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    })();
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      ok({
        url: `http://${host}:${a.port}/`,
        port: a.port,
        server,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? process.env.PORT ?? 8080);
  const dir = resolve(arg('--dir') ?? defaultOutDir);
  serveStatic(dir, port).then(
    (s) => console.log(`serving ${dir} at ${s.url} (Ctrl-C stops). Chromium: chromium --enable-unsafe-webgpu ${s.url}`),
    (e: unknown) => {
      console.error(`cannot serve on 127.0.0.1:${port}: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
