import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { asJson, type Browser, type Tab, type Viewport } from '../browser.js';
import type { Json } from '../../helpers/json.js';

/** Debian's WebKitGTK WebDriver (package webkit2gtk-driver) and X server (xvfb): scripts/setup-browsers.sh installs them. */
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const XVFB = '/usr/bin/Xvfb';

export interface WebKitOptions {
  /** LANG and LC_ALL for the browser: WebKitGTK derives `navigator.language` from them ("C.UTF-8" gives "C"). */
  locale: string;
}

/**
 * WebKitGTK's MiniBrowser (the engine of Safari) under a private Xvfb, driven by
 * WebKitWebDriver over classic W3C WebDriver: plain HTTP requests, one session per tab.
 * `--full-screen` hides MiniBrowser's toolbar, so the window's size is the viewport's (with the
 * toolbar a window cannot be narrower than 447 px, wider than a phone).
 */
export async function openWebKit({ locale }: WebKitOptions): Promise<Browser> {
  const processes: ChildProcess[] = [];
  const stop = () => processes.forEach((p) => p.kill());
  try {
    const { display, xvfb } = await startXvfb();
    processes.push(xvfb);
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display, LANG: locale, LC_ALL: locale };
    delete env.LANGUAGE;
    let driver = await startDriver(env);
    processes.push(driver.process);
    const probe = await newSession(driver.base);
    await probe.send('DELETE', '');
    /**
     * A session on the driver. Under heavy load WebKitWebDriver once never answered POST /session
     * (MiniBrowser did not come up in a minute); the driver then stays stuck on it, so a new
     * driver is started and asked once more.
     */
    const session = async (): Promise<Session> => {
      try {
        return await newSession(driver.base);
      } catch (e) {
        if (!/no answer/.test((e as Error).message)) throw e;
        console.warn(`[e2e] ${(e as Error).message}: starting WebKitWebDriver again`);
        driver.process.kill();
        driver = await startDriver(env);
        processes.push(driver.process);
        return newSession(driver.base);
      }
    };
    return {
      engine: 'webkit',
      version: `WebKitGTK ${probe.version} (MiniBrowser, LANG=${locale})`,
      async open(url: string, viewport: Viewport): Promise<Tab> {
        const s = await session();
        await s.send('POST', '/window/rect', viewport);
        await s.send('POST', '/url', { url });
        // Errors from here on; those thrown while the page loaded are in its own window.pageErrors.
        await s.send('POST', '/execute/sync', { script: WATCH_ERRORS, args: [] });
        return webDriverTab(s, viewport);
      },
      close: async () => stop(),
    };
  } catch (e) {
    stop();
    throw e;
  }
}

/** WebKitWebDriver on a free port with the page's environment, once it answers. */
async function startDriver(env: NodeJS.ProcessEnv): Promise<{ process: ChildProcess; base: string }> {
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(`${base}/status`).then(
        (r) => r.ok,
        () => false,
      ),
    `${WEBKIT_DRIVER} to listen on port ${port}`,
  );
  return { process: driver, base };
}

const WATCH_ERRORS = `window.e2eErrors = [];
addEventListener('error', (e) => e2eErrors.push(e.message));
addEventListener('unhandledrejection', (e) => e2eErrors.push(String(e.reason?.message ?? e.reason)));
const error = console.error; console.error = (...a) => { e2eErrors.push(a.join(' ')); error(...a); };`;

interface Session {
  version: string;
  send(method: string, path: string, body?: unknown): Promise<Json>;
}

/** How long one WebDriver command may take (an execute waits for its promise: a scenario's steps are short). */
const COMMAND_TIMEOUT_MS = 60_000;

async function newSession(base: string): Promise<Session> {
  const request = async (method: string, path: string, body?: unknown) => {
    // No command of a scenario takes a minute; one that does has hung, and says which it was.
    const r = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    }).catch((e) => {
      throw new Error(`WebKitWebDriver ${method} ${path}: no answer (${(e as Error).message})`, { cause: e });
    });
    const reply = await r.json();
    if (!r.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${reply.value?.error}: ${reply.value?.message}`);
    return reply.value;
  };
  const args = ['--automation', '--full-screen'];
  const created = await request('POST', '/session', { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { args } } } });
  const prefix = `/session/${created.sessionId}`;
  const session: Session = {
    version: created.capabilities.browserVersion,
    send: (method, path, body) => request(method, prefix + path, body),
  };
  return session;
}

function webDriverTab(session: Session, viewport: Viewport): Tab {
  // Only synchronous scripts: under a heavily loaded machine WebKitWebDriver's execute/async
  // once never answered (a CI run hung 60 s on it). The expression's promise is parked on the
  // page and polled with short synchronous calls until it settles.
  let pending = 0;
  const evaluate = async (expression: string) => {
    const id = `e2e${pending++}`;
    const park = `const p = (window.e2ePending ??= {}); p.${id} = { done: false };
      ${asJson(expression)}.then((json) => (p.${id} = { done: true, json }), (e) => (p.${id} = { done: true, thrown: String(e?.message ?? e) }));`;
    await session.send('POST', '/execute/sync', { script: park, args: [] });
    const take = `const r = window.e2ePending.${id}; if (r.done) delete window.e2ePending.${id}; return r;`;
    for (const end = Date.now() + COMMAND_TIMEOUT_MS; ; ) {
      if (Date.now() > end) throw new Error(`in the page: ${expression.slice(0, 80)} did not settle in ${COMMAND_TIMEOUT_MS / 1000} s`);
      const r = await session.send('POST', '/execute/sync', { script: take, args: [] });
      if (r.done) {
        if (r.thrown !== undefined) throw new Error(`in the page: ${r.thrown}`);
        return JSON.parse(r.json);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    eval: evaluate,
    async click(selector) {
      const found = await session.send('POST', '/element', { using: 'css selector', value: selector });
      await session.send('POST', `/element/${Object.values(found)[0]}/click`, {});
    },
    async stroke(points) {
      const [[x0, y0], ...rest] = points;
      const move = ([x, y]: readonly [number, number]) => ({ type: 'pointerMove', x, y, origin: 'viewport', duration: 16 });
      const actions = [move([x0, y0]), { type: 'pointerDown', button: 0 }, ...rest.map(move), { type: 'pointerUp', button: 0 }];
      await session.send('POST', '/actions', {
        actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
      });
      await session.send('DELETE', '/actions');
    },
    async screenshot(path) {
      // The whole page: the window grows to the document's height for the picture (classic
      // WebDriver takes the viewport only), then goes back.
      const height = Math.min(4000, await evaluate('document.documentElement.scrollHeight'));
      await session.send('POST', '/window/rect', { width: viewport.width, height: Math.max(height, viewport.height) });
      writeFileSync(path, Buffer.from(await session.send('GET', '/screenshot'), 'base64'));
      await session.send('POST', '/window/rect', viewport);
    },
    // the same error can reach both records (thrown while the page loaded, as WATCH_ERRORS began)
    errors: () => evaluate('[...new Set([...(window.pageErrors ?? []), ...(window.e2eErrors ?? [])])]'),
    close: () => session.send('DELETE', ''),
  };
}

/**
 * Xvfb on a display it picks itself (-displayfd writes the number it took), tall enough that a
 * window grown to a whole page for a screenshot (up to 4,000 px) stays on the screen.
 */
function startXvfb(): Promise<{ display: string; xvfb: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1920x4200x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    xvfb.stderr!.on('data', (d) => (stderr += d));
    xvfb.on('error', reject);
    xvfb.on('exit', (code) => reject(new Error(`${XVFB} exited with ${code}: ${stderr.trim()}`)));
    (xvfb.stdio[3] as NodeJS.ReadableStream).once('data', (d) => resolve({ display: `:${String(d).trim()}`, xvfb }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function until(ready: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`waited ${timeout / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
