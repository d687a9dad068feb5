/**
 * A small static file server for the built pages (node:http only): GET/HEAD of files under one
 * folder, on 127.0.0.1 only. `npm run demo` runs it; the tests start it on a free port.
 *
 * What it guarantees (test/demo/serve.test.ts checks each against a running server):
 * - only files whose real path (symlinks resolved) is inside the folder are served; a folder
 *   with an index.html asked for without its slash (/graph) is redirected to /graph/;
 * - only requests for 127.0.0.1, localhost or [::1] on its own port are answered (a page on
 *   another site cannot reach it through DNS rebinding);
 * - a malformed path is a 400, a file that vanishes while it is served a 404, a read error a
 *   500, and the server keeps serving; error bodies never echo the request;
 * - `X-Content-Type-Options: nosniff` and cross-origin isolation (COOP same-origin, COEP
 *   require-corp: what SharedArrayBuffer and WASM threads need) on every answer;
 * - text and the digit data are compressed per `Accept-Encoding` (brotli or gzip, `Vary` set),
 *   from the `.br`/`.gz` files the build writes next to them, or on the fly when there are none.
 *
 * Usage: npx tsx demo/serve.ts [dir] [port]     (default build/demo, port $PORT or 8080; 0 = any free port)
 */
import { createReadStream, existsSync, realpathSync, statSync, type ReadStream, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { createBrotliCompress, createGzip } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** What is worth compressing (PNG is compressed already; mnist.bin shrinks 7.85 → 1.6 MB). */
export const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.bin', '.wasm']);

/** Sent with every answer. */
const ALWAYS = {
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

type Encoding = 'br' | 'gzip';

/** The encoding to answer with: brotli if accepted, else gzip, else none (q=0 refuses). */
function pickEncoding(header: string | string[] | undefined): Encoding | null {
  const accepted = new Map<string, number>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name) accepted.set(name, q ? Number(q.slice(2)) : 1);
  }
  for (const e of ['br', 'gzip'] as const) if ((accepted.get(e) ?? accepted.get('*') ?? 0) > 0) return e;
  return null;
}

function fail(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...ALWAYS, 'content-type': 'text/plain; charset=utf-8', ...extra }).end(`${text}\n`);
}

/** Serves `dir`; resolves once listening, with the server and its http:// address. */
export function serveStatic(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`serveStatic: expected a folder to serve, found ${existsSync(dir) ? 'a file' : 'nothing'} at ${resolve(dir)}`);
  const root = realpathSync(resolve(dir));
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  /**
   * The real path and size of a regular file inside the root, or the status that refuses it.
   * One stat per file: a file that vanishes between two of them (an editor's atomic save, a
   * rebuild while serving) used to throw ENOENT out of the handler and end the server.
   */
  const locate = (p: string): { file: string; size: number } | { status: 403 | 404 } => {
    let real: string;
    let stats: Stats;
    try {
      real = realpathSync(p);
      if (!inside(real)) return { status: 403 }; // a symlink out of the folder
      stats = statSync(real);
    } catch {
      return { status: 404 };
    }
    return stats.isFile() ? { file: real, size: stats.size } : { status: 404 };
  };
  const refusals = { 403: 'forbidden: outside the served folder', 404: 'not found' };
  let hosts = new Set<string>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!hosts.has(String(req.headers.host ?? '').toLowerCase()))
      return fail(res, 403, 'forbidden: this server answers only requests for 127.0.0.1, localhost or [::1] on its own port');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return fail(res, 405, 'method not allowed: GET or HEAD only', { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return fail(res, 400, 'bad request: the path is not valid percent-encoded UTF-8');
    }
    if (path.includes('\0')) return fail(res, 400, 'bad request: the path contains a NUL byte');
    const wanted = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!inside(wanted)) return fail(res, 403, 'forbidden: outside the served folder');
    // a folder with a page, asked for without its slash (/graph): its page's relative links need the slash
    if (!path.endsWith('/') && 'file' in locate(join(wanted, 'index.html'))) {
      // the location from the folder's own path, so it always stays on this server
      const location = `/${relative(root, wanted).split(sep).map(encodeURIComponent).join('/')}/`;
      res.writeHead(301, { ...ALWAYS, location }).end();
      return;
    }
    const found = locate(wanted);
    if ('status' in found) return fail(res, found.status, refusals[found.status]);
    const { file } = found;

    const ext = extname(file);
    const headers: Record<string, string | number> = {
      ...ALWAYS,
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    };
    const encoding = COMPRESSIBLE.has(ext) ? pickEncoding(req.headers['accept-encoding']) : null;
    if (COMPRESSIBLE.has(ext)) headers.vary = 'Accept-Encoding';
    const sibling = encoding ? locate(`${file}.${encoding === 'br' ? 'br' : 'gz'}`) : null;
    const precompressed = sibling && 'file' in sibling ? sibling : null;
    const source = precompressed?.file ?? file;
    if (encoding) headers['content-encoding'] = encoding;
    // The length stat gave, and never more bytes than that (a file growing meanwhile is cut
    // there). Size 0 may be a lie (procfs): then no length and the body is chunked.
    const size = (precompressed ?? found).size;
    const compressOnTheFly = encoding !== null && !precompressed;
    if (!compressOnTheFly && size > 0) headers['content-length'] = size;
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    send(createReadStream(source, size > 0 ? { end: size - 1 } : {}), compressOnTheFly ? encoding : null, res, headers);
  });

  return new Promise((ok, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      hosts = new Set([`127.0.0.1:${actual}`, `localhost:${actual}`, `[::1]:${actual}`]);
      ok({ server, url: `http://127.0.0.1:${actual}/` });
    });
  });
}

/**
 * Streams a file, compressing it on the way if asked. The status line waits for the first bytes,
 * so a file that cannot be read is a clean 404 (removed after stat) or 500 (EIO); a failure later
 * can only cut the connection. Either way the server keeps serving.
 */
function send(file: ReadStream, compress: Encoding | null, res: ServerResponse, headers: Record<string, string | number>): void {
  const body: Readable = compress ? file.pipe(compress === 'br' ? createBrotliCompress() : createGzip()) : file;
  let started = false;
  const start = () => {
    if (!started) res.writeHead(200, headers);
    started = true;
  };
  const onError = (e: NodeJS.ErrnoException) => {
    file.destroy();
    if (started) res.destroy();
    else if (e.code === 'ENOENT')
      fail(res, 404, 'not found'); // removed since it was found
    else fail(res, 500, 'internal error: the file could not be read');
    started = true;
  };
  file.once('error', onError);
  if (body !== file) body.once('error', onError);
  body.on('data', (chunk: Buffer) => {
    start();
    if (!res.write(chunk)) {
      body.pause();
      res.once('drain', () => body.resume());
    }
  });
  body.once('end', () => {
    start();
    res.end();
  });
  res.once('close', () => file.destroy());
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = process.argv[2] ?? resolve(import.meta.dirname, '..', 'build', 'demo');
  const port = Number(process.argv[3] ?? process.env.PORT ?? 8080);
  const { url } = await serveStatic(dir, port);
  // npm run demo builds the graph tour into graph/ next to the MNIST page: name both
  const tour = existsSync(join(dir, 'graph', 'index.html')) ? ` and the graph tour at ${url}graph/` : '';
  console.log(`open ${url}${tour} (serving ${dir}; Ctrl-C to stop)`);
}
