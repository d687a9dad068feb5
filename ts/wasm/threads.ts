import type { NnExports } from './abi.js';

/**
 * The worker pool of the threaded build: `threads − 1` workers (Node `worker_threads` or browser
 * Web Workers), each running its own instance of the same module on the same shared memory with
 * its own stack and thread-local block, parked in `nn_worker_loop` until the Rust side hands it a
 * part of a kernel (crate/src/parallel.rs). The calling thread is thread 0 and works too.
 */
export interface WorkerPool {
  /** Threads that take parts, the caller included. */
  readonly threads: number;
  /** Runs the kernels on `threads` of the pool's threads (1: the caller alone, the workers sleep) from the next call on. */
  use(threads: number): void;
  /** Whether a worker has failed (trapped); the module then runs every kernel on the caller. */
  broken(): boolean;
  /** What the first failed worker reported, once its message has arrived. */
  readonly failure: string | undefined;
  /** Stops the workers (they leave their loop) and terminates them. Idempotent. */
  dispose(): void;
}

/** Threads `'auto'` starts at most. */
export const AUTO_THREADS_CAP = 8;
/**
 * How long the workers may take to start (ms) before the pool gives up on them and the backend
 * runs on one thread, saying why. A start takes milliseconds; a Web Worker that never runs its
 * script (an engine short of threads or memory) would otherwise leave the backend, and a page
 * waiting for it, hanging: once, Firefox's page stayed at "building the net…" for 300 s in CI.
 */
export const WORKER_START_MS = 20_000;
/** Each worker's stack (the module's own default is 1 MiB too). */
const STACK_BYTES = 1 << 20;

/** Why threads cannot run here, or undefined when they can. */
export function threadsUnavailableReason(): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; window?: unknown; WorkerGlobalScope?: unknown; Worker?: unknown };
  if (typeof SharedArrayBuffer !== 'function') {
    return g.crossOriginIsolated === false
      ? 'this page is not cross-origin isolated, so it cannot share memory between threads (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : 'this JavaScript engine has no SharedArrayBuffer, so it cannot share memory between threads';
  }
  if (g.crossOriginIsolated === false) {
    return 'this page is not cross-origin isolated, so it cannot share WebAssembly memory between threads (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (g.window !== undefined && g.WorkerGlobalScope === undefined) {
    return "a browser's main thread may not block (Atomics.wait), which the threads' hand-over needs: create the backend in a Web Worker";
  }
  if (!isNode() && typeof g.Worker !== 'function') return 'this engine has no Worker to run threads in';
  return undefined;
}

/** The number of threads `'auto'` means here: the cores the engine reports, at most 8. */
export async function autoThreads(): Promise<number> {
  let cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (isNode()) {
    const os = (await importNode('node:os')) as { availableParallelism?: () => number; cpus: () => unknown[] };
    cores = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(AUTO_THREADS_CAP, cores ?? 1));
}

/**
 * Starts `threads − 1` workers on `module`'s instance `exports` (whose memory is shared) and
 * tells the module they are ready. Rejects (and ends the workers it started) if one fails to start,
 * or if they have not all started within `startMs`.
 */
export async function startPool(
  module: WebAssembly.Module,
  exports: NnExports,
  threads: number,
  startMs = WORKER_START_MS,
): Promise<WorkerPool> {
  const x = exports as unknown as PoolExports;
  const workers: PoolWorker[] = [];
  let failure: string | undefined;
  let disposed = false;
  const pool: WorkerPool = {
    threads,
    use: (n) => {
      if (!disposed) x.nn_set_threads(n);
    },
    broken: () => x.nn_pool_broken() !== 0,
    get failure() {
      return failure;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      x.nn_pool_stop();
      for (const w of workers) w.terminate();
      // The stacks and TLS blocks stay allocated: a worker may still be leaving its loop, and
      // the whole memory goes with the backend anyway.
    },
  };
  try {
    const tlsSize = x.__tls_size.value;
    const tlsAlign = Math.max(16, x.__tls_align.value);
    const started: Promise<void>[] = [];
    for (let index = 0; index < threads - 1; index++) {
      const stack = x.nn_alloc(STACK_BYTES) >>> 0; // 16-byte aligned, as the stack pointer must be
      const tlsBlock = x.nn_alloc(tlsSize + tlsAlign) >>> 0;
      if (stack === 0 || tlsBlock === 0) throw new Error(`out of memory for worker ${index}'s stack and thread-local block`);
      const tls = Math.ceil(tlsBlock / tlsAlign) * tlsAlign;
      const worker = await newWorker();
      workers.push(worker);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.onMessage((message: { ready?: true; failed?: string }) => {
            if (message.ready) resolve();
            else if (message.failed !== undefined) {
              failure ??= `worker ${index}: ${message.failed}`;
              reject(new Error(message.failed));
            }
          });
          worker.onError((error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
        }),
      );
      worker.post({ module, memory: exports.memory, index, stackTop: stack + STACK_BYTES, tls });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the workers did not start within ${startMs / 1000} s`)), startMs);
    });
    try {
      await Promise.race([Promise.all(started), late]);
    } finally {
      clearTimeout(timer);
    }
    for (const w of workers) w.unref();
  } catch (error) {
    pool.dispose();
    throw error;
  }
  x.nn_set_threads(threads);
  return pool;
}

/** The exports the pool uses besides the kernels. */
interface PoolExports {
  nn_alloc(bytes: number): number;
  nn_set_threads(threads: number): number;
  nn_pool_broken(): number;
  nn_pool_stop(): void;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
}

/** What a worker needs of Node's `Worker` or the browser's. */
interface PoolWorker {
  post(message: unknown): void;
  onMessage(handler: (message: { ready?: true; failed?: string }) => void): void;
  onError(handler: (error: unknown) => void): void;
  terminate(): void;
  /** Lets Node exit while the worker runs (a script that never disposes its backend still ends). */
  unref(): void;
}

/**
 * The worker's whole program, for Node (`eval`) and browsers (a Blob URL) alike: instantiate the
 * module on the shared memory, give this instance its own stack (it grows down from `stackTop`)
 * and thread-local block, say ready, and run the Rust loop. If a part traps, reset the stack,
 * tell the module (so the caller stops waiting and later calls run on one thread) and report.
 */
const WORKER_SOURCE = `
const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
// import(), not require: Node evaluates this as a module when the parent ran with --input-type=module.
const portReady = isNode ? import('node:worker_threads').then((m) => m.parentPort) : Promise.resolve(self);
portReady.then((port) => {
  const post = (message) => port.postMessage(message);
  const describe = (error) => String((error && error.message) || error);
  const start = ({ module, memory, index, stackTop, tls }) => {
    let x;
    try {
      x = new WebAssembly.Instance(module, { env: { memory } }).exports;
      x.__stack_pointer.value = stackTop;
      x.__wasm_init_tls(tls);
    } catch (error) {
      post({ failed: 'could not start: ' + describe(error) });
      return;
    }
    post({ ready: true });
    try {
      x.nn_worker_loop(index);
    } catch (error) {
      x.__stack_pointer.value = stackTop;
      x.nn_worker_failed(index);
      post({ failed: describe(error) });
    }
  };
  if (isNode) port.once('message', start);
  else port.onmessage = (event) => start(event.data);
});
`;

async function newWorker(): Promise<PoolWorker> {
  if (isNode()) {
    const { Worker } = (await importNode('node:worker_threads')) as typeof import('node:worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (handler) => worker.on('message', handler),
      onError: (handler) => worker.on('error', handler),
      // After its listeners are on (adding a 'message' listener refs the port again).
      unref: () => worker.unref(),
      terminate: () => void worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (handler) => worker.addEventListener('message', (event: MessageEvent) => handler(event.data)),
    onError: (handler) => worker.addEventListener('error', (event: ErrorEvent) => handler(event.error ?? new Error(event.message))),
    terminate: () => {
      worker.terminate();
      URL.revokeObjectURL(url); // not earlier: some browsers fetch a worker's script lazily
    },
    unref: () => {},
  };
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** A Node built-in, imported through a variable so that browser bundlers leave it alone. */
function importNode(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}
