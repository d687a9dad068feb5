import { checkDimension, checkDistinct, checkKernelTensor, describeValue } from './checks.js';
import { KERNELS, type ArgSpec, type Args, type KernelMethods, type KernelName, type KernelSpec } from './kernels.js';
import { type Tensor, checkShape, checkTensor, createTensor, formatShape, shapeSize, type Storage } from './tensor.js';
import { checkF32, fillFlat, inferShape, isNested, type TensorValues } from './values.js';

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
 * ownership, liveness, aliasing, labels, finite hyper-parameters), and then hands the raw call to
 * the backend's `callKernel`, which may trust them. Outputs come after the inputs and must not
 * share memory with any other argument.
 */
export abstract class Backend {
  /** `ts`, or the WASM variant that was loaded: `wasm-relaxed-simd`, `wasm-simd128`, `wasm-scalar`. */
  abstract readonly name: string;
  abstract readonly kind: 'ts' | 'wasm';
  /** Threads that run the kernels: 1 unless a WASM backend was created with `threads`. */
  get threads(): number {
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
  protected abstract callKernel(name: KernelName, raw: readonly RawValue[], returns: KernelSpec['returns']): number | void;

  // ---- the kernel set: one checked method per entry of ts/core/kernels.ts ---------------------

  static {
    for (const [name, spec] of Object.entries(KERNELS) as [KernelName, KernelSpec][]) {
      const plan = planOf(spec);
      const method = function (this: Backend, ...values: unknown[]): number | void {
        return this.#run(name, plan, values);
      };
      Object.defineProperty(method, 'name', { value: name });
      Object.defineProperty(Backend.prototype, name, { value: method, writable: true, configurable: true });
    }
  }

  /** Checks a kernel call by the roles of its arguments, then runs it (or skips it when all its outputs are empty). */
  #run(name: KernelName, plan: Plan, values: unknown[]): number | void {
    const where = `${this.name}.${name}`;
    // Arguments by name for the contract's functions; same keys in the same order for every call
    // of a kernel, so they share one hidden class and their property reads stay fast.
    const a: Args = {};
    for (let i = 0; i < plan.publicNames.length; i++) a[plan.publicNames[i]] = values[i];
    for (const { index, name: n } of plan.dims) checkDimension(where, n, values[index]);
    for (const { index, label } of plan.scalars) checkF32(where, label, values[index] as number);
    for (const { index, name: n, values: words } of plan.flags) {
      if (values[index] !== words[0] && values[index] !== words[1])
        throw new Error(`${where}: expected ${n} '${words[0]}' or '${words[1]}', got ${String(values[index])}`);
    }
    plan.spec.check?.(where, a);
    const inputs: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (const t of plan.tensors) {
      const v = values[t.index];
      if (t.spec.role === 'optOut' && v === null) continue;
      checkTensor(where, labelOf(t.spec, a), v);
    }
    for (const t of plan.tensors) {
      const v = values[t.index] as Tensor | null;
      if (v === null) continue; // an absent optional output (only those may be null, checked above)
      const size = t.spec.expect.size(a);
      if (v.size !== size || v.backend !== this || v.disposed)
        checkKernelTensor(where, this, labelOf(t.spec, a), v, size, t.spec.expect.text(a));
      t.spec.values?.(where, v, a);
      (t.spec.role === 'input' ? inputs : outputs).push(v);
    }
    let empty = true;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs[j];
      if (o.size > 0) empty = false;
      for (const i of inputs) checkDistinct(where, o, i, 'an input');
      for (let e = 0; e < j; e++) checkDistinct(where, o, outputs[e], 'another output');
    }
    if (empty && plan.spec.returns !== 'value') return;
    const raw: RawValue[] = [];
    for (const arg of plan.raw) {
      if (arg.role === 'derived') raw.push(arg.value(a));
      else if (arg.role === 'flag') raw.push(a[arg.name] === arg.values[1]);
      else raw.push(a[arg.name]);
    }
    return this.callKernel(name, raw, plan.spec.returns);
  }
}

/** A raw kernel argument: a dimension or scalar, a tensor, `null` (no optional output), a flag. */
export type RawValue = number | Tensor | null | boolean;

type TensorSpec = Extract<ArgSpec, { expect: unknown }>;

/** What a call needs of a contract entry, worked out once per kernel: each role's arguments with their position in the public call. */
interface Plan {
  spec: KernelSpec;
  /** The names of the public arguments, in call order. */
  publicNames: string[];
  dims: { index: number; name: string }[];
  scalars: { index: number; label: string }[];
  flags: { index: number; name: string; values: readonly [string, string] }[];
  tensors: { index: number; spec: TensorSpec }[];
  /** The raw call's arguments, in order. */
  raw: ArgSpec[];
}

function planOf(spec: KernelSpec): Plan {
  const publicArgs = spec.args.filter((arg) => arg.role !== 'derived');
  const plan: Plan = {
    spec,
    publicNames: publicArgs.map((arg) => arg.name),
    dims: [],
    scalars: [],
    flags: [],
    tensors: [],
    raw: spec.args.filter((arg) => !(arg.role === 'scalar' && arg.raw === false)),
  };
  publicArgs.forEach((arg, index) => {
    if (arg.role === 'dim') plan.dims.push({ index, name: arg.name });
    else if (arg.role === 'scalar') plan.scalars.push({ index, label: arg.label });
    else if (arg.role === 'flag') plan.flags.push({ index, name: arg.name, values: arg.values });
    else if ('expect' in arg) plan.tensors.push({ index, spec: arg });
  });
  return plan;
}

function labelOf(t: TensorSpec, a: Args): string {
  return typeof t.label === 'function' ? t.label(a) : (t.label ?? t.name);
}

// The kernel methods are installed above from the contract; this gives them their types.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Backend extends KernelMethods {}

/** Throws unless `backend` is a Backend (from `createBackend`). */
export function checkBackend(where: string, backend: unknown): asserts backend is Backend {
  if (!(backend instanceof Backend))
    throw new Error(`${where}: expected a backend from createBackend('wasm' | 'ts'), got ${describeValue(backend)}`);
}
