import type { Backend } from '../core/backend.js';
import { TsBackend } from './ts.js';
import { WasmBackend } from './wasm.js';
import { describeValue } from '../core/checks.js';
import {
  bestVariant,
  instantiateThreaded,
  instantiateVariant,
  simd128Supported,
  WASM32_MAX_BYTES,
  WASM_PAGE_BYTES,
  type WasmVariant,
} from '../wasm/load.js';

/** Most threads a backend may ask for: crate/src/parallel.rs `MAX_THREADS` (test/kernels/contract.test.ts checks they agree). */
export const MAX_THREADS = 64;

export interface CreateBackendOptions {
  /**
   * Which WASM build to load: `'auto'` (default) picks relaxed SIMD (fused multiply-add) where
   * the engine validates it, else SIMD128 where supported, else the build without SIMD. Ignored
   * by the `'ts'` backend.
   */
  variant?: 'auto' | WasmVariant;
  /**
   * The most linear memory the WASM backend may grow to, in bytes (rounded down to whole 64 KiB
   * pages): 4 GiB, the 32-bit limit, by default. Past it, allocations and kernels that need
   * workspace throw an out-of-memory `Error` and the backend stays usable. Ignored by `'ts'`.
   */
  maxMemoryBytes?: number;
  /**
   * How many threads the WASM backend's kernels run on: 1 (default: a library starts no threads
   * unasked), a whole number up to 64, or `'auto'`, the cores the engine reports
   * (`os.availableParallelism()`, `navigator.hardwareConcurrency`) up to 8. More than one thread
   * loads the threaded SIMD128 build on a shared memory with workers (`worker_threads` in Node,
   * Web Workers in a browser); results are bitwise the same as on one thread. Where memory
   * cannot be shared (a page that is not cross-origin isolated, a browser's main thread) the
   * backend runs on one thread and `threadsUnavailable` says why. `dispose()` ends the workers.
   * The `'ts'` backend always runs on one thread (asked for more, its `threadsUnavailable` says so).
   */
  threads?: 'auto' | number;
}

/**
 * A new backend with its own memory: `'wasm'` (Rust kernels compiled to WebAssembly; `name`
 * says which variant was loaded) or `'ts'` (pure TypeScript).
 */
export async function createBackend(kind: 'ts' | 'wasm', options: CreateBackendOptions = {}): Promise<Backend> {
  if (kind !== 'ts' && kind !== 'wasm') throw new Error(`createBackend: expected 'wasm' or 'ts', got ${JSON.stringify(kind)}`);
  if (typeof options !== 'object' || options === null) {
    throw new Error(
      `createBackend('${kind}', options): expected options to be an object such as { variant: 'auto' }, got ${describeValue(options)}`,
    );
  }
  if (kind === 'ts') {
    const asked = options.threads !== undefined && options.threads !== 1;
    return new TsBackend(asked ? "the pure-TypeScript backend runs on one thread (threads run the 'wasm' backend's kernels)" : undefined);
  }
  const requested = options.variant ?? 'auto';
  if (requested !== 'auto' && requested !== 'relaxed-simd' && requested !== 'simd128' && requested !== 'scalar') {
    throw new Error(
      `createBackend('wasm'): expected variant 'auto', 'relaxed-simd', 'simd128' or 'scalar', got ${JSON.stringify(requested)}`,
    );
  }
  const maxMemoryBytes = options.maxMemoryBytes ?? WASM32_MAX_BYTES;
  if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < WASM_PAGE_BYTES || maxMemoryBytes > WASM32_MAX_BYTES) {
    throw new Error(
      `createBackend('wasm'): expected maxMemoryBytes to be an integer from ${WASM_PAGE_BYTES} (64 KiB) to ${WASM32_MAX_BYTES} (4 GiB), got ${describeValue(maxMemoryBytes)}`,
    );
  }
  const threads = options.threads ?? 1;
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new Error(
      `createBackend('wasm'): expected threads to be 'auto' or a whole number from 1 to ${MAX_THREADS}, got ${describeValue(threads)}`,
    );
  }
  if (threads !== 1 && requested !== 'auto' && requested !== 'simd128') {
    throw new Error(
      `createBackend('wasm'): threads run on the SIMD128 build; use variant 'auto' or 'simd128' with threads, got variant '${requested}' with threads ${JSON.stringify(threads)}`,
    );
  }
  const bytes = Math.floor(maxMemoryBytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
  let unavailable: string | undefined;
  if (threads !== 1) {
    const threaded = await threadedBackend(threads, bytes);
    if (threaded instanceof WasmBackend) return threaded;
    unavailable = threaded;
  }
  const variant = requested === 'auto' ? bestVariant() : requested;
  return new WasmBackend(await instantiateVariant(variant, bytes), variant, bytes, { unavailable });
}

/**
 * The threaded build with its workers, or why threads cannot run here (or 'auto' found one core:
 * then undefined). The pool's code is a chunk of its own, loaded only when threads are asked for.
 */
async function threadedBackend(threads: 'auto' | number, bytes: number): Promise<WasmBackend | string | undefined> {
  const { autoThreads, startPool, threadsUnavailableReason } = await import('../wasm/threads.js');
  const count = threads === 'auto' ? await autoThreads() : threads;
  if (count === 1) return undefined;
  const reason =
    threadsUnavailableReason() ?? (simd128Supported() ? undefined : 'threads need WebAssembly SIMD128, which this engine does not support');
  if (reason !== undefined) return reason;
  const { exports, module } = await instantiateThreaded(bytes);
  try {
    return new WasmBackend(exports, 'simd128', bytes, { pool: await startPool(module, exports, count) });
  } catch (error) {
    return `the worker threads could not start: ${(error as Error).message}`; // e.g. a page's CSP forbids workers
  }
}
