import { checkDimension, checkDistinct, checkKernelTensor, describeValue } from './checks.js';
import {
  KERNELS,
  type ArgSpec,
  type Args,
  type CallArgs,
  type KernelMethods,
  type KernelName,
  type KernelResult,
  type KernelSpec,
} from './kernels.js';
import { checkShape, formatShape, shapeSize } from './shape.js';
import { checkF32, fillFlat, inferShape, isNested, type TensorValues } from './values.js';

/*
 * The backend and its tensors: a backend makes, checks and runs kernels on tensors, and a tensor
 * belongs to one backend, so each needs the other; they live in this one module (ts/core/tensor.ts
 * is the tensor's import path). The kernel contract (ts/core/kernels.ts) knows neither.
 */

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

/** Named parameter tensors (`W1`, `b1`, …) of a net, and their gradients under the same names. */
export type Params = Record<string, Tensor>;

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

/** How the targets of a softmax-with-loss are given. */
export type TargetKind = 'onehot' | 'labels';

/** Three forms of C = A·B that a training step needs; the letters say which operand is transposed. */
export type GemmForm = 'nn' | 'nt' | 'tn';

/** Memory held by a backend's live tensors. */
export interface MemoryStats {
  /** Tensors created and not yet disposed. */
  liveTensors: number;
  /** Bytes held by those tensors. */
  allocatedBytes: number;
  /** Size of the WASM linear memory (0 on the TS backend). */
  linearMemoryBytes: number;
}

/**
 * A backend owns tensors and runs the kernel set on them. Each kernel of the contract
 * (ts/core/kernels.ts) is a method here that checks its arguments once, for every backend (sizes,
 * ownership, liveness, aliasing, class indices, finite hyper-parameters), and then hands the raw
 * call to the backend's `callKernel`, which may trust them. Outputs come after the inputs and must
 * not share memory with any other argument.
 */
export abstract class Backend implements KernelMethods<Tensor> {
  /** `ts`, or the WASM variant that was loaded: `wasm-relaxed-simd`, `wasm-simd128`, `wasm-scalar`. */
  abstract readonly name: string;
  abstract readonly kind: 'ts' | 'wasm';
  /** Threads that run the kernels: 1 unless a WASM backend was created with `threads`. */
  get threads(): number {
    return 1;
  }
  /**
   * Threads the kernels run on now: `threads`, or 1 while the workers do not help. A threaded
   * backend times its kernel calls and runs on its calling thread alone while that is faster
   * (another process keeps a core busy), looking again now and then; results are bitwise the
   * same either way.
   */
  get threadsInUse(): number {
    return 1;
  }
  /**
   * Why a backend asked for threads runs on one thread instead (no shared memory here, a
   * browser's main thread, …), or `undefined`.
   */
  get threadsUnavailable(): string | undefined {
    return undefined;
  }
  /**
   * Ends the backend's worker threads, if it has any. Idempotent; without threads it does
   * nothing. The backend stays usable on one thread (its tensors and memory stay), and a Node
   * script exits without it anyway: the workers do not keep it alive.
   */
  dispose(): void {}
  #liveTensors = 0;
  #allocatedBytes = 0;

  /**
   * A tensor from nested arrays (`[[1, 2], [3, 4]]`, shape inferred) or flat values plus a shape
   * (row-major). Values must be finite numbers.
   */
  tensor(values: TensorValues, shape?: readonly number[]): Tensor {
    const where = `${this.name}.tensor`;
    if (typeof values !== 'object' || values === null) {
      throw new Error(
        `${where}: expected values to be an array of numbers, a nested array or a Float32Array, got ${describeValue(values)}`,
      );
    }
    const nestedShape = isNested(values) ? inferShape(values) : undefined;
    const finalShape = shape ?? nestedShape ?? [values.length];
    checkShape(where, finalShape);
    const t = this.zeros(finalShape);
    try {
      fillFlat(where, values, t.data);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[]): Tensor {
    const where = `${this.name}.zeros`;
    checkShape(where, shape);
    const size = shapeSize(shape);
    const limit = this.elementLimit();
    if (size > limit.elements) {
      throw new Error(
        `${where}: shape ${formatShape(shape)} has ${size} elements (${size * 4} bytes), more than this backend can hold: ${limit.reason}`,
      );
    }
    const storage = this.allocateImpl(size);
    this.#liveTensors++;
    this.#allocatedBytes += storage.size * 4;
    return createTensor(this, shape, storage);
  }

  /** @internal Called by `Tensor.dispose()`. */
  release(storage: Storage): void {
    if (storage.freed) return;
    storage.free();
    this.#liveTensors--;
    this.#allocatedBytes -= storage.size * 4;
  }

  memoryStats(): MemoryStats {
    return { liveTensors: this.#liveTensors, allocatedBytes: this.#allocatedBytes, linearMemoryBytes: this.linearMemoryBytes() };
  }

  // ---- what each backend implements ------------------------------------------------------

  /** The most elements one tensor may have here, and why (for the error message). */
  protected abstract elementLimit(): { elements: number; reason: string };
  protected abstract allocateImpl(size: number): Storage;
  protected abstract linearMemoryBytes(): number;
  /**
   * Runs a kernel on checked arguments, in the order of its raw call (ts/core/kernels.ts): numbers,
   * tensors, `null` for an absent optional output, booleans for flags.
   */
  protected abstract callKernel(name: KernelName, raw: readonly RawValue[], returns: KernelSpec['returns']): number | undefined;

  // ---- the kernel set: one checked method per entry of ts/core/kernels.ts ---------------------
  // Each hands its arguments, by name, to `#call`, which checks them by their declared roles and
  // then runs the kernel; `implements KernelMethods<Tensor>` holds each signature to its entry.

  /** C[m×n] = A[m×k] · B[k×n]. */
  gemmNN(m: number, k: number, n: number, A: Tensor, B: Tensor, C: Tensor): void {
    this.#call('gemmNN', { m, k, n, A, B, C });
  }
  /** C[m×n] = A[m×k] · B[n×k]ᵀ. */
  gemmNT(m: number, k: number, n: number, A: Tensor, B: Tensor, C: Tensor): void {
    this.#call('gemmNT', { m, k, n, A, B, C });
  }
  /** C[m×n] = A[k×m]ᵀ · B[k×n]. */
  gemmTN(m: number, k: number, n: number, A: Tensor, B: Tensor, C: Tensor): void {
    this.#call('gemmTN', { m, k, n, A, B, C });
  }
  /** In place: x[i, j] += b[j] for a rows×cols matrix x. */
  addBias(rows: number, cols: number, x: Tensor, b: Tensor): void {
    this.#call('addBias', { rows, cols, x, b });
  }
  /** out[j] = Σ_i x[i, j]. */
  colSum(rows: number, cols: number, x: Tensor, out: Tensor): void {
    this.#call('colSum', { rows, cols, x, out });
  }
  /** out = max(x, 0). */
  reluForward(x: Tensor, out: Tensor): void {
    this.#call('reluForward', { x, out });
  }
  /** dx = dout where the forward output y > 0, else 0. */
  reluBackward(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#call('reluBackward', { y, dout, dx });
  }
  /** out = 1 / (1 + exp(−x)). */
  sigmoidForward(x: Tensor, out: Tensor): void {
    this.#call('sigmoidForward', { x, out });
  }
  /** dx = dout · (1 − y) · y, with y the forward output. */
  sigmoidBackward(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#call('sigmoidBackward', { y, dout, dx });
  }
  /**
   * y = softmax(x) per row; returns the mean cross-entropy −(1/rows) Σ t·log y. `t` is a rows×cols
   * one-hot (or any probability) matrix, or `rows` class indices when `targets` is `'labels'`.
   */
  softmaxXent(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor): number {
    return this.#call('softmaxXent', { rows, cols, x, t, targets, y });
  }
  /** dx = (y − t) / rows, with y from `softmaxXent`. */
  softmaxXentBackward(rows: number, cols: number, y: Tensor, t: Tensor, targets: TargetKind, dx: Tensor): void {
    this.#call('softmaxXentBackward', { rows, cols, y, t, targets, dx });
  }
  /** Softmax-with-loss forward and backward in one pass (y and dx); returns the mean cross-entropy. */
  softmaxXentGrad(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor, dx: Tensor): number {
    return this.#call('softmaxXentGrad', { rows, cols, x, t, targets, y, dx });
  }
  /** Affine forward: out[m×n] = x[m×k] · W[k×n] + b. */
  affineForward(m: number, k: number, n: number, x: Tensor, W: Tensor, b: Tensor, out: Tensor): void {
    this.#call('affineForward', { m, k, n, x, W, b, out });
  }
  /** Affine backward: dW = xᵀ·dout, db = Σ_rows dout, and dx = dout·Wᵀ unless `dx` is null. */
  affineBackward(m: number, k: number, n: number, x: Tensor, W: Tensor, dout: Tensor, dW: Tensor, db: Tensor, dx: Tensor | null): void {
    this.#call('affineBackward', { m, k, n, x, W, dout, dW, db, dx });
  }
  /** param −= lr · grad. */
  sgd(lr: number, param: Tensor, grad: Tensor): void {
    this.#call('sgd', { lr, param, grad });
  }
  /** target += source (gradients of a value used twice add up). */
  accumulate(target: Tensor, source: Tensor): void {
    this.#call('accumulate', { target, source });
  }
  /** Momentum: v = momentum·v − lr·grad; param += v. */
  momentum(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#call('momentum', { lr, momentum, param, grad, v });
  }
  /** The book's Nesterov: param += momentum²·v − (1 + momentum)·lr·grad; v = momentum·v − lr·grad. */
  nesterov(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#call('nesterov', { lr, momentum, param, grad, v });
  }
  /** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
  adagrad(lr: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#call('adagrad', { lr, eps, param, grad, h });
  }
  /** RMSprop: h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps). */
  rmsprop(lr: number, decay: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#call('rmsprop', { lr, decay, eps, param, grad, h });
  }
  /** Adam: m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v); param −= lrT·m / (√v + eps). */
  adam(lrT: number, beta1: number, beta2: number, eps: number, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
    this.#call('adam', { lrT, beta1, beta2, eps, param, grad, m, v });
  }
  /** Batch normalization, training mode: xn, invStd and out from the batch; the running statistics move. */
  batchNormForwardTrain(
    rows: number,
    cols: number,
    momentum: number,
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    runningMean: Tensor,
    runningVar: Tensor,
    xn: Tensor,
    invStd: Tensor,
    out: Tensor,
  ): void {
    this.#call('batchNormForwardTrain', { rows, cols, momentum, x, gamma, beta, runningMean, runningVar, xn, invStd, out });
  }
  /** Batch normalization, test mode: out = γ·(x − runningMean)/√(runningVar + ε) + β. */
  batchNormForwardTest(
    rows: number,
    cols: number,
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    runningMean: Tensor,
    runningVar: Tensor,
    out: Tensor,
  ): void {
    this.#call('batchNormForwardTest', { rows, cols, x, gamma, beta, runningMean, runningVar, out });
  }
  /** Batch normalization backward: dgamma, dbeta and dx from dout and the training forward's xn and invStd. */
  batchNormBackward(
    rows: number,
    cols: number,
    dout: Tensor,
    xn: Tensor,
    invStd: Tensor,
    gamma: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
    dx: Tensor,
  ): void {
    this.#call('batchNormBackward', { rows, cols, dout, xn, invStd, gamma, dgamma, dbeta, dx });
  }
  /** Dropout: out = x·mask (mask 1 for a kept unit, 0 for a dropped one); also its backward. */
  applyMask(x: Tensor, mask: Tensor, out: Tensor): void {
    this.#call('applyMask', { x, mask, out });
  }
  /** out = s·x (dropout at test time, s = 1 − ratio). */
  scale(s: number, x: Tensor, out: Tensor): void {
    this.#call('scale', { s, x, out });
  }
  /** Convolution forward: col [n, c·fh·fw, oh·ow] (kept for the backward) and out [n, filters, oh, ow] = weights·col_n + b. */
  convForward(
    n: number,
    c: number,
    h: number,
    w: number,
    fh: number,
    fw: number,
    stride: number,
    pad: number,
    filters: number,
    x: Tensor,
    weights: Tensor,
    b: Tensor,
    col: Tensor,
    out: Tensor,
  ): void {
    this.#call('convForward', { n, c, h, w, fh, fw, stride, pad, filters, x, weights, b, col, out });
  }
  /** Convolution backward: dW, db, and, unless dcol and dx are null, dx (dcol is one sample's scratch). */
  convBackward(
    n: number,
    c: number,
    h: number,
    w: number,
    fh: number,
    fw: number,
    stride: number,
    pad: number,
    filters: number,
    col: Tensor,
    weights: Tensor,
    dout: Tensor,
    dW: Tensor,
    db: Tensor,
    dcol: Tensor | null,
    dx: Tensor | null,
  ): void {
    this.#call('convBackward', { n, c, h, w, fh, fw, stride, pad, filters, col, weights, dout, dW, db, dcol, dx });
  }
  /**
   * The first layers Convolution → ReLU → max pooling, backward without the convolution's dx:
   * dW and db from the input x and the pooling's output, argmax and dout, touching only the
   * positions the pooling chose.
   */
  convReluPoolBackward(
    n: number,
    c: number,
    h: number,
    w: number,
    fh: number,
    fw: number,
    stride: number,
    pad: number,
    filters: number,
    poolH: number,
    poolW: number,
    poolStride: number,
    poolPad: number,
    x: Tensor,
    pooled: Tensor,
    argmax: Tensor,
    dout: Tensor,
    dW: Tensor,
    db: Tensor,
  ): void {
    this.#call('convReluPoolBackward', {
      n,
      c,
      h,
      w,
      fh,
      fw,
      stride,
      pad,
      filters,
      poolH,
      poolW,
      poolStride,
      poolPad,
      x,
      pooled,
      argmax,
      dout,
      dW,
      db,
    });
  }
  /** Max pooling forward: out [n, c, oh, ow], each window's first maximum; argmax its index in the window. */
  maxPoolForward(
    n: number,
    c: number,
    h: number,
    w: number,
    fh: number,
    fw: number,
    stride: number,
    pad: number,
    x: Tensor,
    out: Tensor,
    argmax: Tensor,
  ): void {
    this.#call('maxPoolForward', { n, c, h, w, fh, fw, stride, pad, x, out, argmax });
  }
  /** Max pooling backward: dx [n, c, h, w], each dout added at the input its window's argmax chose. */
  maxPoolBackward(
    n: number,
    c: number,
    h: number,
    w: number,
    fh: number,
    fw: number,
    stride: number,
    pad: number,
    dout: Tensor,
    argmax: Tensor,
    dx: Tensor,
  ): void {
    this.#call('maxPoolBackward', { n, c, h, w, fh, fw, stride, pad, dout, argmax, dx });
  }

  /**
   * The one checked call: checks kernel `name`'s arguments by the roles its contract entry
   * declares (dimensions, finite scalars, flags, the entry's own check, then every tensor: a live
   * Tensor of this backend with the declared element count, its values where the entry says, and
   * no output sharing memory with another argument), then runs it, unless it returns no value
   * and all its outputs are empty.
   */
  #call<K extends KernelName>(name: K, args: CallArgs<K, Tensor>): KernelResult<K> {
    const where = `${this.name}.${name}`;
    const a = args as Args;
    const plan = PLANS[name];
    for (const n of plan.dims) checkDimension(where, n, a[n]);
    for (const n of plan.scalars) checkF32(where, n, a[n] as number);
    for (const { name: n, values: words } of plan.flags) {
      if (a[n] !== words[0] && a[n] !== words[1])
        throw new Error(`${where}: expected ${n} '${words[0]}' or '${words[1]}', got ${String(a[n])}`);
    }
    plan.spec.check?.(where, a);
    const inputs: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (const t of plan.tensors) {
      const v = a[t.name];
      if (t.role === 'optOut' && v === null) continue;
      checkTensor(where, t.name, v);
    }
    for (const t of plan.tensors) {
      const v = a[t.name] as Tensor | null;
      if (v === null) continue; // an absent optional output (only those may be null, checked above)
      const size = t.expect.size(a);
      if (v.size !== size || v.backend !== this || v.disposed) checkKernelTensor(where, this, t.name, v, size, t.expect.text(a));
      t.values?.(where, v.data, a);
      (t.role === 'input' ? inputs : outputs).push(v);
    }
    let empty = true;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs[j];
      if (o.size > 0) empty = false;
      for (const i of inputs) checkDistinct(where, o, i, 'an input');
      for (let e = 0; e < j; e++) checkDistinct(where, o, outputs[e], 'another output');
    }
    if (empty && plan.spec.returns !== 'value') return undefined as KernelResult<K>;
    const raw: RawValue[] = [];
    for (const arg of plan.raw) {
      if (arg.role === 'derived') raw.push(arg.value(a));
      else if (arg.role === 'flag') raw.push(a[arg.name] === arg.values[1]);
      else raw.push(a[arg.name] as RawValue);
    }
    return this.callKernel(name, raw, plan.spec.returns) as KernelResult<K>;
  }
}

/** A raw kernel argument: a dimension or scalar, a tensor, `null` (no optional output), a flag. */
export type RawValue = number | Tensor | null | boolean;

type TensorSpec = Extract<ArgSpec, { expect: unknown }>;

/** What a call needs of a contract entry, worked out once per kernel: its arguments by role. */
interface Plan {
  spec: KernelSpec;
  dims: string[];
  scalars: string[];
  flags: { name: string; values: readonly [string, string] }[];
  tensors: TensorSpec[];
  /** The raw call's arguments, in order. */
  raw: ArgSpec[];
}

function planOf(spec: KernelSpec): Plan {
  const plan: Plan = {
    spec,
    dims: [],
    scalars: [],
    flags: [],
    tensors: [],
    raw: spec.args.filter((arg) => !(arg.role === 'scalar' && arg.raw === false)),
  };
  for (const arg of spec.args) {
    if (arg.role === 'dim') plan.dims.push(arg.name);
    else if (arg.role === 'scalar') plan.scalars.push(arg.name);
    else if (arg.role === 'flag') plan.flags.push(arg);
    else if (arg.role !== 'derived') plan.tensors.push(arg);
  }
  return plan;
}

const PLANS = Object.fromEntries(Object.entries(KERNELS).map(([name, spec]) => [name, planOf(spec)])) as Record<KernelName, Plan>;

/** Throws unless `backend` is a Backend (from `createBackend`). */
export function checkBackend(where: string, backend: unknown): asserts backend is Backend {
  if (!(backend instanceof Backend))
    throw new Error(`${where}: expected a backend from createBackend('wasm' | 'ts'), got ${describeValue(backend)}`);
}
