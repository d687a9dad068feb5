import { checkDimension, describeValue } from './checks.js';
import { Tensor, checkShape, checkTensor, createTensor, formatShape, shapeSize, type Storage } from './tensor.js';
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
 * A backend owns tensors and runs the kernel set on them. The public kernel methods check their
 * arguments here, once, for every backend (sizes, ownership, liveness, aliasing, labels) and then
 * call the backend's raw `*Impl` method, which may trust them. Outputs are always the last
 * arguments and must not share memory with an input.
 */
export abstract class Backend {
  /** `ts`, or the WASM variant that was loaded: `wasm-relaxed-simd`, `wasm-simd128`, `wasm-scalar`. */
  abstract readonly name: string;
  abstract readonly kind: 'ts' | 'wasm';
  #liveTensors = 0;
  #allocatedBytes = 0;

  /**
   * A tensor from nested arrays (`[[1, 2], [3, 4]]`, shape inferred) or flat values plus a shape
   * (row-major). Values must be finite numbers.
   */
  tensor(values: TensorValues, shape?: readonly number[]): Tensor {
    const where = `${this.name}.tensor`;
    if (typeof values !== 'object' || values === null) {
      throw new Error(`${where}: expected values to be an array of numbers, a nested array or a Float32Array, got ${describeValue(values)}`);
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
      throw new Error(`${where}: shape ${formatShape(shape)} has ${size} elements (${size * 4} bytes), more than this backend can hold: ${limit.reason}`);
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

  // ---- the kernel set -------------------------------------------------------------------

  /** C[m×n] = A[m×k] · B[k×n]. */
  gemmNN(m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    this.#checkGemm('gemmNN', m, k, n, a, b, c);
    if (c.size > 0) this.gemmImpl('nn', m, k, n, a, b, c);
  }

  /** C[m×n] = A[m×k] · B[n×k]ᵀ. */
  gemmNT(m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    this.#checkGemm('gemmNT', m, k, n, a, b, c);
    if (c.size > 0) this.gemmImpl('nt', m, k, n, a, b, c);
  }

  /** C[m×n] = A[k×m]ᵀ · B[k×n]. */
  gemmTN(m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    this.#checkGemm('gemmTN', m, k, n, a, b, c);
    if (c.size > 0) this.gemmImpl('tn', m, k, n, a, b, c);
  }

  /** In place: x[i, j] += b[j] for a rows×cols matrix x. */
  addBias(rows: number, cols: number, x: Tensor, b: Tensor): void {
    const where = `${this.name}.addBias`;
    this.#checkDims(where, { rows, cols });
    this.#checkSize(where, 'x', x, rows * cols, `${rows}×${cols}`);
    this.#checkSize(where, 'b', b, cols, `${cols}`);
    this.#checkDistinct(where, [x], [b]);
    if (x.size > 0) this.addBiasImpl(rows, cols, x, b);
  }

  /** out[j] = Σ_i x[i, j]. */
  colSum(rows: number, cols: number, x: Tensor, out: Tensor): void {
    const where = `${this.name}.colSum`;
    this.#checkDims(where, { rows, cols });
    this.#checkSize(where, 'x', x, rows * cols, `${rows}×${cols}`);
    this.#checkSize(where, 'out', out, cols, `${cols}`);
    this.#checkDistinct(where, [out], [x]);
    if (out.size > 0) this.colSumImpl(rows, cols, x, out);
  }

  /** out = max(x, 0). */
  reluForward(x: Tensor, out: Tensor): void {
    this.#checkElementwise('reluForward', [x], out);
    this.reluForwardImpl(x, out);
  }

  /** dx = dout where the forward output y > 0, else 0. */
  reluBackward(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#checkElementwise('reluBackward', [y, dout], dx);
    this.reluBackwardImpl(y, dout, dx);
  }

  /** out = 1 / (1 + exp(−x)). */
  sigmoidForward(x: Tensor, out: Tensor): void {
    this.#checkElementwise('sigmoidForward', [x], out);
    this.sigmoidForwardImpl(x, out);
  }

  /** dx = dout · (1 − y) · y, with y the forward output. */
  sigmoidBackward(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#checkElementwise('sigmoidBackward', [y, dout], dx);
    this.sigmoidBackwardImpl(y, dout, dx);
  }

  /**
   * y = softmax(x) per row; returns the mean cross-entropy −(1/rows) Σ t·log y. `t` is a
   * rows×cols one-hot (or any probability) matrix, or `rows` class indices when `targets` is
   * `'labels'`.
   */
  softmaxXent(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor): number {
    const where = `${this.name}.softmaxXent`;
    this.#checkSoftmax(where, rows, cols, x, t, targets, y);
    this.#checkDistinct(where, [y], [x, t]);
    return this.softmaxXentImpl(rows, cols, x, t, targets, y);
  }

  /** dx = (y − t) / rows, with y from `softmaxXent`. */
  softmaxXentBackward(rows: number, cols: number, y: Tensor, t: Tensor, targets: TargetKind, dx: Tensor): void {
    const where = `${this.name}.softmaxXentBackward`;
    this.#checkSoftmax(where, rows, cols, y, t, targets, dx);
    this.#checkDistinct(where, [dx], [y, t]);
    this.softmaxXentBackwardImpl(rows, cols, y, t, targets, dx);
  }

  // Fused passes: one call per layer and direction (fewer boundary crossings and checks, and
  // the work shares passes over memory). Each equals the composition of the kernels above.

  /** Affine forward: out[m×n] = x[m×k] · W[k×n] + b (b added to every row). */
  affineForward(m: number, k: number, n: number, x: Tensor, W: Tensor, b: Tensor, out: Tensor): void {
    const where = `${this.name}.affineForward`;
    this.#checkDims(where, { m, k, n });
    this.#checkSize(where, 'x', x, m * k, `${m}×${k}`);
    this.#checkSize(where, 'W', W, k * n, `${k}×${n}`);
    this.#checkSize(where, 'b', b, n, `${n}`);
    this.#checkSize(where, 'out', out, m * n, `${m}×${n}`);
    this.#checkDistinct(where, [out], [x, W, b]);
    if (out.size > 0) this.affineForwardImpl(m, k, n, x, W, b, out);
  }

  /**
   * Affine backward for x [m×k], W [k×n], dout [m×n]: dW = xᵀ·dout, db = Σ_rows dout, and
   * dx = dout·Wᵀ unless `dx` is null (a network's first layer: nothing uses its input gradient).
   */
  affineBackward(m: number, k: number, n: number, x: Tensor, W: Tensor, dout: Tensor, dW: Tensor, db: Tensor, dx: Tensor | null): void {
    const where = `${this.name}.affineBackward`;
    this.#checkDims(where, { m, k, n });
    this.#checkSize(where, 'x', x, m * k, `${m}×${k}`);
    this.#checkSize(where, 'W', W, k * n, `${k}×${n}`);
    this.#checkSize(where, 'dout', dout, m * n, `${m}×${n}`);
    this.#checkSize(where, 'dW', dW, k * n, `${k}×${n}`);
    this.#checkSize(where, 'db', db, n, `${n}`);
    const outputs = [dW, db];
    if (dx !== null) {
      this.#checkSize(where, 'dx', dx, m * k, `${m}×${k}`);
      outputs.push(dx);
    }
    this.#checkDistinct(where, outputs, [x, W, dout]);
    for (let i = 1; i < outputs.length; i++) this.#checkDistinct(where, outputs.slice(i), [outputs[i - 1]], 'another output');
    if (outputs.some((o) => o.size > 0)) this.affineBackwardImpl(m, k, n, x, W, dout, dW, db, dx);
  }

  /**
   * Softmax-with-loss forward and backward in one pass: y = softmax(x) per row, dx = (y − t) / rows;
   * returns the mean cross-entropy. The same as `softmaxXent` followed by `softmaxXentBackward`.
   */
  softmaxXentGrad(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor, dx: Tensor): number {
    const where = `${this.name}.softmaxXentGrad`;
    this.#checkSoftmax(where, rows, cols, x, t, targets, y);
    this.#checkSize(where, 'dx', dx, rows * cols, `${rows}×${cols}`);
    this.#checkDistinct(where, [y, dx], [x, t]);
    this.#checkDistinct(where, [dx], [y], 'another output');
    return this.softmaxXentGradImpl(rows, cols, x, t, targets, y, dx);
  }

  /** param −= lr · grad. */
  sgd(lr: number, param: Tensor, grad: Tensor): void {
    const where = `${this.name}.sgd`;
    checkF32(where, 'learning rate', lr);
    this.#checkElementwise('sgd', [grad], param);
    this.sgdImpl(lr, param, grad);
  }

  /** target += source: the SGD pass with lr = −1, which is exact (−(−1)·g = g). */
  accumulate(target: Tensor, source: Tensor): void {
    this.#checkElementwise('accumulate', [source], target);
    this.sgdImpl(-1, target, source);
  }

  // Chapter-6 optimizers: one element-wise pass each, updating `param` and the optimizer's state
  // tensors in place from `grad` (formulas in crate/src/optim.rs and ts/backends/ts_kernels.ts).
  // The constants derived from the hyper-parameters (1 − β, momentum², …) are computed here, in
  // f64, once, and both backends round them to f32 the same way: in f32, 1 − 0.999 is 1.3e-5 off.

  /** Momentum: v = momentum·v − lr·grad; param += v. */
  momentum(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#checkUpdate('momentum', { lr, momentum }, param, grad, [v]);
    this.momentumImpl(lr, momentum, param, grad, v);
  }

  /** The book's Nesterov: param += momentum²·v − (1 + momentum)·lr·grad with the old v; then v = momentum·v − lr·grad. */
  nesterov(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#checkUpdate('nesterov', { lr, momentum }, param, grad, [v]);
    this.nesterovImpl(lr, momentum, momentum * momentum, (1 + momentum) * lr, param, grad, v);
  }

  /** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
  adagrad(lr: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#checkUpdate('adagrad', { lr, eps }, param, grad, [h]);
    this.adagradImpl(lr, eps, param, grad, h);
  }

  /** RMSprop: h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps). */
  rmsprop(lr: number, decay: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#checkUpdate('rmsprop', { lr, decay, eps }, param, grad, [h]);
    this.rmspropImpl(lr, decay, 1 - decay, eps, param, grad, h);
  }

  /** Adam: m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v); param −= lrT·m / (√v + eps), lrT bias-corrected by the caller. */
  adam(lrT: number, beta1: number, beta2: number, eps: number, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
    this.#checkUpdate('adam', { lrT, beta1, beta2, eps }, param, grad, [m, v]);
    this.adamImpl(lrT, 1 - beta1, 1 - beta2, eps, param, grad, m, v);
  }

  // ---- what each backend implements ------------------------------------------------------

  /** The most elements one tensor may have here, and why (for the error message). */
  protected abstract elementLimit(): { elements: number; reason: string };
  protected abstract allocateImpl(size: number): Storage;
  protected abstract linearMemoryBytes(): number;
  protected abstract gemmImpl(form: GemmForm, m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void;
  protected abstract addBiasImpl(rows: number, cols: number, x: Tensor, b: Tensor): void;
  protected abstract colSumImpl(rows: number, cols: number, x: Tensor, out: Tensor): void;
  protected abstract reluForwardImpl(x: Tensor, out: Tensor): void;
  protected abstract reluBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void;
  protected abstract sigmoidForwardImpl(x: Tensor, out: Tensor): void;
  protected abstract sigmoidBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void;
  protected abstract softmaxXentImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor): number;
  protected abstract softmaxXentBackwardImpl(rows: number, cols: number, y: Tensor, t: Tensor, targets: TargetKind, dx: Tensor): void;
  protected abstract affineForwardImpl(m: number, k: number, n: number, x: Tensor, W: Tensor, b: Tensor, out: Tensor): void;
  protected abstract affineBackwardImpl(m: number, k: number, n: number, x: Tensor, W: Tensor, dout: Tensor, dW: Tensor, db: Tensor, dx: Tensor | null): void;
  protected abstract softmaxXentGradImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor, dx: Tensor): number;
  protected abstract sgdImpl(lr: number, param: Tensor, grad: Tensor): void;
  protected abstract momentumImpl(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void;
  protected abstract nesterovImpl(lr: number, momentum: number, mm: number, step: number, param: Tensor, grad: Tensor, v: Tensor): void;
  protected abstract adagradImpl(lr: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void;
  protected abstract rmspropImpl(lr: number, decay: number, keep: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void;
  protected abstract adamImpl(lrT: number, k1: number, k2: number, eps: number, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void;

  // ---- argument checks -------------------------------------------------------------------

  #checkGemm(op: string, m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    const where = `${this.name}.${op}`;
    this.#checkDims(where, { m, k, n });
    const [aDims, bDims] = op === 'gemmNN' ? [[m, k], [k, n]] : op === 'gemmNT' ? [[m, k], [n, k]] : [[k, m], [k, n]];
    this.#checkSize(where, 'A', a, m * k, `${aDims[0]}×${aDims[1]}`);
    this.#checkSize(where, 'B', b, k * n, `${bDims[0]}×${bDims[1]}`);
    this.#checkSize(where, 'C', c, m * n, `${m}×${n}`);
    this.#checkDistinct(where, [c], [a, b]);
  }

  #checkElementwise(op: string, inputs: Tensor[], out: Tensor): void {
    const where = `${this.name}.${op}`;
    checkTensor(where, 'output', out);
    for (const [i, t] of inputs.entries()) {
      this.#checkSize(where, `input ${i + 1}`, t, out.size, formatShape(out.shape));
    }
    this.#checkSize(where, 'output', out, out.size, formatShape(out.shape));
    this.#checkDistinct(where, [out], inputs);
  }

  /** An in-place update: hyper-parameters finite in f32; grad and every state as large as param; no two sharing memory. */
  #checkUpdate(op: string, hyper: Record<string, number>, param: Tensor, grad: Tensor, states: Tensor[]): void {
    const where = `${this.name}.${op}`;
    for (const [name, value] of Object.entries(hyper)) checkF32(where, name, value);
    this.#checkElementwise(op, [grad], param);
    for (const [i, s] of states.entries()) {
      this.#checkSize(where, `state ${i + 1}`, s, param.size, formatShape(param.shape));
      this.#checkDistinct(where, [s], [param, grad, ...states.slice(0, i)], 'the parameter, its gradient or another state');
    }
  }

  #checkSoftmax(where: string, rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, out: Tensor): void {
    this.#checkDims(where, { rows, cols });
    if (rows > 0 && cols === 0) throw new Error(`${where}: expected cols ≥ 1 (a softmax needs at least one class), got ${rows} rows of 0 classes`);
    this.#checkSize(where, 'scores', x, rows * cols, `${rows}×${cols}`);
    this.#checkSize(where, 'output', out, rows * cols, `${rows}×${cols}`);
    if (targets === 'onehot') {
      this.#checkSize(where, 't (one-hot)', t, rows * cols, `${rows}×${cols}`);
    } else if (targets === 'labels') {
      this.#checkSize(where, 't (labels)', t, rows, `${rows} class indices`);
      checkLabels(where, t.data, cols);
    } else {
      throw new Error(`${where}: expected targets 'onehot' or 'labels', got ${String(targets)}`);
    }
  }

  /** Every dimension an integer in [0, 2³¹ − 1]; element counts are then pinned by the tensors' sizes. */
  #checkDims(where: string, dims: Record<string, number>): void {
    for (const [name, d] of Object.entries(dims)) checkDimension(where, name, d);
  }

  #checkSize(where: string, name: string, t: Tensor, size: number, expected: string): void {
    checkTensor(where, name, t);
    if (t.backend !== this) {
      throw new Error(`${where}: ${name} belongs to backend '${t.backend.name}', not to this '${this.name}' backend instance; tensors cannot be mixed across backends`);
    }
    if (t.disposed) throw new Error(`${where}: ${name} (shape ${formatShape(t.shape)}) was disposed`);
    if (t.size !== size) {
      throw new Error(`${where}: expected ${name} to hold ${expected} = ${size} elements, got shape ${formatShape(t.shape)} (${t.size} elements)`);
    }
  }

  /** Throws if an output shares storage with any of `others` (inputs, or outputs checked before it). */
  #checkDistinct(where: string, outputs: Tensor[], others: Tensor[], othersAre = 'an input'): void {
    for (const o of outputs) {
      for (const i of others) {
        if (o.size > 0 && o.storage === i.storage) {
          throw new Error(`${where}: the output must not share memory with ${othersAre} (an output of shape ${formatShape(o.shape)} and ${othersAre} of shape ${formatShape(i.shape)} use the same storage)`);
        }
      }
    }
  }
}

/** Throws unless every label is an integer class index in [0, classes). */
export function checkLabels(where: string, labels: Float32Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new Error(`${where}: expected class indices (integers in 0..${classes - 1}), found ${v} at row ${i}`);
    }
  }
}

/** Throws unless `backend` is a Backend (from `createBackend`). */
export function checkBackend(where: string, backend: unknown): asserts backend is Backend {
  if (!(backend instanceof Backend)) throw new Error(`${where}: expected a backend from createBackend('wasm' | 'ts'), got ${describeValue(backend)}`);
}
