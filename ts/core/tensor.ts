import type { Backend } from './backend.js';
import { checkDimension, describeValue } from './checks.js';

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

/** Whether two shapes are equal, dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Named parameter tensors (`W1`, `b1`, …) of a net, and their gradients under the same names. */
export type Params = Record<string, Tensor>;

/** Throws unless `shape` is an array of integers, each in [0, 2³¹ − 1]. */
export function checkShape(where: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new Error(`${where}: expected a shape (array of dimensions), got ${describeValue(shape)}`);
  for (const [i, d] of shape.entries()) {
    try {
      checkDimension(where, `dimension ${i}`, d);
    } catch {
      throw new Error(`${where}: expected dimensions to be integers from 0 to 2³¹ − 1, got shape ${formatShape(shape)}`);
    }
  }
}

/** Throws unless `value` is a live-or-disposed Tensor (liveness is checked where it is used). */
export function checkTensor(where: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new Error(`${where}: expected ${name} to be a Tensor, got ${describeValue(value)}`);
}

/** Only this module holds it: `new Tensor(...)` from outside is refused, so no tensor can be forged. */
const CONSTRUCT = Symbol('Tensor.construct');
let construct: (backend: Backend, shape: readonly number[], storage: Storage, ownsStorage: boolean) => Tensor;

/**
 * @internal A tensor viewing `storage` with `shape` (backends and `reshape` make tensors through
 * this; it is not exported from the package). The shape must fit the storage.
 */
export function createTensor(backend: Backend, shape: readonly number[], storage: Storage, ownsStorage = true): Tensor {
  return construct(backend, shape, storage, ownsStorage);
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

  static {
    construct = (backend, shape, storage, ownsStorage) => new Tensor(backend, shape, storage, ownsStorage, CONSTRUCT);
  }

  /** Tensors are made by `backend.tensor()`, `backend.zeros()` and `reshape()`. */
  private constructor(backend: Backend, shape: readonly number[], storage: Storage, ownsStorage: boolean, token: symbol) {
    if (token !== CONSTRUCT) {
      throw new Error(
        'new Tensor(): tensors are made by backend.tensor(values, shape), backend.zeros(shape) or tensor.reshape(shape), not by the constructor',
      );
    }
    checkShape('Tensor', shape);
    this.size = shapeSize(shape);
    if (this.size > storage.size) {
      throw new Error(`Tensor: shape ${formatShape(shape)} needs ${this.size} elements but its storage holds ${storage.size}`);
    }
    this.backend = backend;
    this.shape = Object.freeze([...shape]);
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
      throw new Error(
        `Tensor${formatShape(this.shape)} was disposed; it cannot be used any more (create a new tensor or keep a copy from toArray())`,
      );
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
      throw new Error(
        `Tensor.reshape: cannot view ${this.size} elements of shape ${formatShape(this.shape)} as shape ${formatShape(shape)} (${size} elements)`,
      );
    }
    return createTensor(this.backend, shape, this.storage, false);
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
