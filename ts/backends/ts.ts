import { Backend, type RawValue } from '../core/backend.js';
import { MAX_DIMENSION } from '../core/checks.js';
import type { KernelName } from '../core/kernels.js';
import type { Storage } from '../core/tensor.js';
import { TS_KERNELS } from './ts_kernels.js';

/** Storage on the JS heap: the view is the array itself and never goes stale. */
class HeapStorage implements Storage {
  readonly ptr = -1;
  #array: Float32Array | null;
  constructor(readonly size: number) {
    this.#array = new Float32Array(size);
  }
  get freed(): boolean {
    return this.#array === null;
  }
  view(): Float32Array {
    if (this.#array === null) throw new Error('storage was freed');
    return this.#array;
  }
  free(): void {
    this.#array = null;
  }
}

/** The pure-TypeScript backend: no WASM, runs anywhere; the oracle and baseline for WASM. */
export class TsBackend extends Backend {
  readonly name = 'ts';
  readonly kind = 'ts';
  readonly #threadsUnavailable: string | undefined;

  /** `threadsUnavailable`: why it runs on one thread, when more were asked for. */
  constructor(threadsUnavailable?: string) {
    super();
    this.#threadsUnavailable = threadsUnavailable;
  }
  override get threadsUnavailable(): string | undefined {
    return this.#threadsUnavailable;
  }

  protected elementLimit(): { elements: number; reason: string } {
    return { elements: MAX_DIMENSION, reason: `a tensor on the TS backend holds at most 2³¹ − 1 = ${MAX_DIMENSION} elements` };
  }
  protected allocateImpl(size: number): Storage {
    try {
      return new HeapStorage(size);
    } catch (e) {
      // The engine refuses a typed array this large ("Array buffer allocation failed").
      throw new Error(`${this.name}: out of memory: cannot allocate ${size} floats (${size * 4} bytes): ${(e as Error).message}`);
    }
  }
  protected linearMemoryBytes(): number {
    return 0;
  }
  protected callKernel(name: KernelName, raw: readonly RawValue[]): number | undefined {
    const args = raw.map((v) => (typeof v === 'object' && v !== null ? v.data : v));
    return (TS_KERNELS[name] as (...args: unknown[]) => number | undefined)(...args);
  }
}
