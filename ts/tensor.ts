import type { Backend } from './backend.js';

/**
 * Where a tensor's numbers live. Each backend has its own kind: a `Float32Array` on the JS heap
 * for the TS backend, a block of WASM linear memory for the WASM backend.
 */
export interface Storage {
  /** Number of f32 elements. */
  readonly size: number;
  /** Byte offset into WASM linear memory; -1 for storage on the JS heap. */
  readonly ptr: number;
  /** True once `free()` ran. */
  readonly freed: boolean;
  /** A live view of the numbers; valid until the next call into WASM that may grow memory. */
  view(): Float32Array;
  /** Returns the numbers to the backend; idempotent. */
  free(): void;
}

/** Product of the dimensions; 1 for a scalar shape `[]`. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[100, 784]` → "[100, 784]". */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless every dimension is a non-negative integer. */
export function checkShape(where: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new Error(`${where}: expected a shape (array of dimensions), got ${typeof shape}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: expected dimensions to be non-negative integers, got shape ${formatShape(shape)}`);
    }
  }
}

/**
 * An f32 tensor in row-major order, owned by one backend.
 *
 * `data` is the live `Float32Array`: on the WASM backend it is a view into linear memory, so
 * writing to it writes the tensor, and it is re-derived whenever memory has grown (an old view
 * you kept yourself may then have length 0 — take `data` again after any call that can allocate).
 * `toArray()` returns a copy that stays valid forever. `dispose()` gives the memory back; using a
 * disposed tensor throws.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly backend: Backend;
  #storage: Storage;
  #disposed = false;
  readonly #ownsStorage: boolean;

  /** @internal Tensors are made by `backend.tensor()`, `backend.zeros()` and `reshape()`. */
  constructor(backend: Backend, shape: readonly number[], storage: Storage, ownsStorage = true) {
    this.backend = backend;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.#storage = storage;
    this.#ownsStorage = ownsStorage;
  }

  /** The live numbers (a view on WASM); see the class comment for how long a view stays valid. */
  get data(): Float32Array {
    return this.storage.view();
  }

  /** @internal The storage, after checking the tensor is still alive. */
  get storage(): Storage {
    if (this.#disposed || this.#storage.freed) {
      throw new Error(`Tensor${formatShape(this.shape)} was disposed; it cannot be used any more (create a new tensor or keep a copy from toArray())`);
    }
    return this.#storage;
  }

  /** True after `dispose()`, or after the tensor this one was reshaped from was disposed. */
  get disposed(): boolean {
    return this.#disposed || this.#storage.freed;
  }

  /** A copy of the numbers that stays valid after the tensor changes or is disposed. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  /** The same numbers seen with another shape (no copy). The view dies with this tensor. */
  reshape(shape: readonly number[]): Tensor {
    checkShape('Tensor.reshape', shape);
    const size = shapeSize(shape);
    if (size !== this.size) {
      throw new Error(`Tensor.reshape: cannot view ${this.size} elements of shape ${formatShape(this.shape)} as shape ${formatShape(shape)} (${size} elements)`);
    }
    return new Tensor(this.backend, shape, this.storage, false);
  }

  /** Frees the memory (a reshaped view only detaches itself). Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsStorage) this.backend.release(this.#storage);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)} on ${this.backend.name}${this.disposed ? ' (disposed)' : ''}`;
  }
}
