import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../demo/serve.js';
import { ROOT } from '../helpers/cli.js';

// demo/serve.ts against a running server: the attacks of issue 9.5 (malformed paths, read
// errors, symlinks out of the folder, foreign Host headers) each answered without the server
// dying, and the headers the pages need (compression, nosniff, cross-origin isolation).
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-serve-'));
const site = join(work, 'site');
const outside = join(work, 'secret.txt');
const page = `<!doctype html><title>x</title>${'hello '.repeat(500)}`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One raw request (the path is sent as written, not normalised by a URL parser). */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('demo/serve.ts', () => {
  let server: Server;
  let port: number;
  const alive = async () => expect((await get(port, '/')).status).toBe(200);

  beforeAll(async () => {
    mkdirSync(join(site, 'sub'), { recursive: true });
    writeFileSync(join(site, 'index.html'), page);
    writeFileSync(join(site, 'data.bin'), Buffer.alloc(100_000, 7));
    writeFileSync(join(site, 'data.bin.gz'), gzipSync(Buffer.alloc(100_000, 7))); // as scripts/precompress.ts writes it
    writeFileSync(outside, 'the secret');
    symlinkSync(outside, join(site, 'leak.txt'));
    symlinkSync(work, join(site, 'up'));
    symlinkSync(join(site, 'index.html'), join(site, 'same.html')); // a link that stays inside is fine
    mkdirSync(join(site, 'graph'));
    writeFileSync(join(site, 'graph', 'index.html'), page);
    const started = await serveStatic(site, 0);
    server = started.server;
    port = Number(new URL(started.url).port);
  });
  afterAll(() => {
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('redirects a folder with a page asked for without its slash, as /graph → /graph/ (the tour next to the MNIST page)', async () => {
    const r = await get(port, '/graph');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/graph/');
    expect((await get(port, '/graph/')).body.toString()).toBe(page);
    expect((await get(port, '/sub')).status).toBe(404); // a folder without a page
  });

  it('refuses to start on a folder that is not there', () => {
    expect(() => serveStatic(join(work, 'missing'))).toThrow(
      `serveStatic: expected a folder to serve, found nothing at ${join(work, 'missing')}`,
    );
  });

  it('answers malformed percent-encoding with 400 and keeps serving', async () => {
    for (const path of ['/%', '/%E0%A4%A', '/%c0%ae%c0%ae/secret.txt', '/a%00b']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(400);
      expect(r.body.toString()).toMatch(/^bad request: /);
      await alive();
    }
  });

  it('refuses symlinks that lead out of the folder, and traversal', async () => {
    for (const path of ['/leak.txt', '/up/secret.txt']) expect((await get(port, path)).status, path).toBe(403);
    // Dot segments: the URL parser folds %2e%2e into the root (404 there), a decoded ../ is refused.
    for (const path of ['/leak.txt', '/up/secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/sub/..%2f..%2fsecret.txt']) {
      const r = await get(port, path);
      expect([403, 404], path).toContain(r.status);
      expect(r.body.toString()).not.toContain('the secret');
    }
    expect((await get(port, '/same.html')).status).toBe(200);
  });

  it('answers only for 127.0.0.1, localhost and [::1] on its own port (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.evil.example:${port}`]) {
      expect((await get(port, '/', { host })).status, host).toBe(403);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await get(port, '/', { host })).status, host).toBe(200);
    }
  });

  it('sends nosniff and cross-origin isolation on every answer, and never echoes the path', async () => {
    for (const path of ['/', '/nope-<script>alert(1)</script>', '/%']) {
      const r = await get(port, path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(r.body.toString(), path).not.toContain('script');
    }
    expect((await get(port, '/nope-<script>')).status).toBe(404);
    expect((await get(port, '/', {}, 'POST')).status).toBe(405);
  });

  it('compresses per Accept-Encoding: brotli, gzip (precompressed or on the fly) or identity', async () => {
    const br = await get(port, '/', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(brotliDecompressSync(br.body).toString()).toBe(page);
    expect(br.body.length).toBeLessThan(page.length / 10);
    const gz = await get(port, '/data.bin', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(readFileSync(join(site, 'data.bin.gz')).length); // the precompressed file
    expect(gunzipSync(gz.body).equals(Buffer.alloc(100_000, 7))).toBe(true);
    const plain = await get(port, '/', { 'accept-encoding': 'identity, br;q=0' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(page);
    const head = await get(port, '/data.bin', {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '100000', 0]);
  });
});

describe.runIf(process.platform === 'linux')('demo/serve.ts and read errors', () => {
  it('a file that fails to read (EIO from /proc/self/mem) is a 500, and the server keeps serving', async () => {
    // /proc/self/mem stats as a regular file, and reading it from offset 0 fails with EIO: the
    // case from the report, without any race.
    const { server, url } = await serveStatic('/proc/self', 0);
    try {
      const port = Number(new URL(url).port);
      const r = await get(port, '/mem');
      expect(r.status).toBe(500);
      expect(r.body.toString()).toBe('internal error: the file could not be read\n');
      const status = await get(port, '/status'); // procfs says size 0: sent chunked, whole
      expect(status.status).toBe(200);
      expect(status.body.toString()).toMatch(/^Name:/);
      expect((await get(port, '/mem')).status).toBe(500);
    } finally {
      server.close();
    }
  });
});

describe('demo/serve.ts while a served file is renamed away and back', () => {
  it('answers 200 or 404 and keeps serving (a second stat used to throw ENOENT and end the process)', async () => {
    // The server runs in its own process, as `npm run demo` runs it: a throw in its handler
    // ends that process. The renames run on this process's I/O threads, concurrently with it.
    const dir = join(work, 'racing');
    mkdirSync(dir, { recursive: true });
    const served = join(dir, 'app.js');
    writeFileSync(served, 'x'.repeat(4096));
    writeFileSync(join(dir, 'index.html'), page);
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/serve.ts', dir, '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const port = await new Promise<number>((ok, fail) => {
        child.stdout.on('data', (c: Buffer) => {
          const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(c.toString());
          if (m) ok(Number(m[1]));
        });
        child.once('exit', (code) => fail(new Error(`the server exited (${code}) before listening: ${stderr}`)));
      });
      let renaming = true;
      const renamer = (async () => {
        while (renaming) {
          await rename(served, `${served}.tmp`);
          await rename(`${served}.tmp`, served);
        }
      })();
      const statuses = new Map<number | string, number>();
      const started = performance.now();
      // 2.5 s of 20 parallel GETs: before the fix the server died within about a second here
      while (performance.now() - started < 2500 && child.exitCode === null) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, () =>
            get(port, '/app.js').then(
              (r) => r.status,
              (e: NodeJS.ErrnoException) => e.code ?? 'error',
            ),
          ),
        );
        for (const a of answers) statuses.set(a, (statuses.get(a) ?? 0) + 1);
      }
      renaming = false;
      await renamer;
      expect(child.exitCode, `the server exited: ${stderr}`).toBeNull();
      expect(
        [...statuses.keys()].filter((s) => s !== 200 && s !== 404),
        JSON.stringify([...statuses]),
      ).toEqual([]);
      expect(statuses.get(200)).toBeGreaterThan(0);
      expect((await get(port, '/')).status).toBe(200);
    } finally {
      child.kill();
    }
  }, 30_000);
});
