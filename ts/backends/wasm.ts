import { Backend, type RawValue } from '../core/backend.js';
import { KERNELS, exportName, type KernelName, type KernelSpec } from '../core/kernels.js';
import type { Storage } from '../core/tensor.js';
import type { NnExports, NnKernel } from '../wasm/abi.js';
import { WASM32_MAX_BYTES, type WasmVariant } from '../wasm/load.js';
import { callKey, ThreadGovernor, type GovernorState } from '../wasm/governor.js';
import type { WorkerPool } from '../wasm/threads.js';

/** How a WASM backend runs on threads: its worker pool, or why it has none though asked. */
export interface WasmThreading {
  pool?: WorkerPool;
  unavailable?: string;
}

/**
 * A block of WASM linear memory. Growing the memory detaches the old ArrayBuffer (every view on
 * it drops to length 0), so the view is re-derived whenever its buffer is no longer the
 * memory's buffer. (A shared memory's old SharedArrayBuffer is not detached: views on it keep
 * their old length and still see the same memory, and `memory.buffer` gives a new, longer one.)
 */
class LinearStorage implements Storage {
  #view: Float32Array;
  #freed = false;
  constructor(
    private readonly exports: NnExports,
    readonly ptr: number,
    readonly size: number,
  ) {
    this.#view = new Float32Array(exports.memory.buffer, ptr, size);
  }
  get freed(): boolean {
    return this.#freed;
  }
  view(): Float32Array {
    if (this.#freed) throw new Error('storage was freed');
    const buffer = this.exports.memory.buffer;
    if (this.#view.buffer !== buffer) this.#view = new Float32Array(buffer, this.ptr, this.size);
    return this.#view;
  }
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    if (this.size > 0) this.exports.nn_free(this.ptr, this.size * 4);
  }
}

/**
 * The WebAssembly backend: tensors live in the module's linear memory and every kernel is one
 * call into Rust with pointers, so nothing is copied between JS and WASM.
 */
export class WasmBackend extends Backend {
  readonly name: string;
  readonly kind = 'wasm';
  readonly variant: WasmVariant;
  readonly #x: NnExports;
  /** Each kernel's export, found by the naming rule (ts/core/kernels.ts `exportName`). */
  readonly #kernels: Record<KernelName, NnKernel>;
  /** The most the linear memory may grow to (the maximum it was created with). */
  readonly #maxMemoryBytes: number;
  /** The worker pool while it runs (threaded build, `threads` > 1), else undefined. */
  #pool: WorkerPool | undefined;
  /** Picks one thread or all of them from measured call times (ts/wasm/governor.ts); none when pinned. */
  #governor: ThreadGovernor | undefined;
  /** Each kernel's index, for the governor's call keys. */
  readonly #kernelIndex: Record<KernelName, number>;
  readonly #threadsUnavailable: string | undefined;

  /** Use `createBackend('wasm')`, which loads the module. */
  constructor(exports: NnExports, variant: WasmVariant, maxMemoryBytes = WASM32_MAX_BYTES, threading: WasmThreading = {}) {
    super();
    this.#x = exports;
    this.#pool = threading.pool;
    const pool = threading.pool;
    this.#governor = pool && new ThreadGovernor(pool.threads, (n) => pool.use(n));
    this.#threadsUnavailable = threading.unavailable;
    this.variant = variant;
    this.name = `wasm-${variant}`;
    this.#maxMemoryBytes = maxMemoryBytes;
    const kernels: Partial<Record<KernelName, NnKernel>> = {};
    this.#kernelIndex = Object.fromEntries(Object.keys(KERNELS).map((name, i) => [name, i])) as Record<KernelName, number>;
    for (const name of Object.keys(KERNELS) as KernelName[]) {
      const fn = exports[exportName(name)];
      if (typeof fn !== 'function')
        throw new Error(
          `${this.name}: the WASM module does not export ${exportName(name)} (kernel ${name}); rebuild it with scripts/build-wasm.sh`,
        );
      kernels[name] = fn as NnKernel;
    }
    this.#kernels = kernels as Record<KernelName, NnKernel>;
  }

  /** @internal The module's raw exports (tests use the pool's hooks). */
  rawExports(): NnExports {
    return this.#x;
  }
  override get threads(): number {
    return this.#pool?.threads ?? 1;
  }
  override get threadsUnavailable(): string | undefined {
    return this.#threadsUnavailable;
  }
  override get threadsInUse(): number {
    return this.#pool === undefined ? 1 : (this.#governor?.threadsInUse ?? this.#pool.threads);
  }
  /** @internal What the thread governor decided so far (undefined without a pool, or pinned). */
  governorState(): GovernorState | undefined {
    return this.#pool && this.#governor?.state;
  }
  /**
   * @internal Runs every kernel on all the pool's threads from now on, whatever they cost: for
   * tests that must exercise the split (the governor would move a loaded machine to one thread).
   */
  pinThreads(): void {
    this.#governor = undefined;
    this.#pool?.use(this.#pool.threads);
  }
  override dispose(): void {
    this.#pool?.dispose();
    this.#pool = undefined;
    this.#governor = undefined;
  }

  protected elementLimit(): { elements: number; reason: string } {
    return {
      elements: Math.floor((this.#maxMemoryBytes - 1) / 4),
      reason: `its linear memory is limited to ${this.#maxMemoryBytes} bytes`,
    };
  }
  protected allocateImpl(size: number): Storage {
    if (size === 0) return new LinearStorage(this.#x, 0, 0);
    const bytes = size * 4;
    const ptr = this.#x.nn_alloc(bytes) >>> 0;
    if (ptr === 0)
      throw new Error(
        `${this.name}: out of memory: cannot allocate ${bytes} bytes (${this.#memoryState()}); dispose tensors you no longer need`,
      );
    const storage = new LinearStorage(this.#x, ptr, size);
    storage.view().fill(0); // the allocator hands back freed blocks as they were left
    return storage;
  }
  protected linearMemoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }
  #memoryState(): string {
    return `linear memory is ${this.linearMemoryBytes()} bytes and may grow to at most ${this.#maxMemoryBytes}`;
  }
  /**
   * Turns a kernel's status into an Error: 0 is success, anything else the bytes of workspace the
   * kernel could not reserve (it wrote nothing then, and the module stays usable).
   */
  #checkStatus(where: string, status: number): void {
    if (status === 0) return;
    throw new Error(
      `${this.name}.${where}: out of memory: the kernel needs ${status >>> 0} bytes of workspace (${this.#memoryState()}); dispose tensors you no longer need`,
    );
  }
  /**
   * A worker trapped during this call (a bug: the kernels' inputs were checked): its part of the
   * outputs is missing. The module already runs everything on this thread; end the pool and say so.
   */
  #workerFailed(where: string): never {
    const failure = this.#pool?.failure;
    this.dispose();
    throw new Error(
      `${this.name}.${where}: a worker thread failed during this call${failure ? ` (${failure})` : ''}, so its outputs are incomplete; the backend now runs on one thread`,
    );
  }
  protected callKernel(name: KernelName, raw: readonly RawValue[], returns: KernelSpec['returns']): number | undefined {
    // Tensors go as pointers, an absent optional output as 0 (null), flags as 0/1.
    const args = raw.map((v) => (typeof v === 'object' ? (v === null ? 0 : v.storage.ptr) : +v));
    const governor = this.#governor;
    governor?.begin();
    const result = this.#kernels[name](...args);
    governor?.end(callKey(this.#kernelIndex[name], raw));
    if (this.#pool?.broken()) this.#workerFailed(name);
    if (returns === 'status') this.#checkStatus(name, result);
    else if (returns === 'value') return result;
    return undefined;
  }
}
