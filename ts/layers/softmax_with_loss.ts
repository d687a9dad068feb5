import type { TargetKind } from '../core/backend.js';
import { checkLabels } from '../core/checks.js';
import { checkTensor, formatShape, Tensor } from '../core/tensor.js';
import { requireForward, reuseBuffer } from './layer.js';

/**
 * Softmax followed by the cross-entropy error (§5.6.3). `forward(x, t)` returns the mean loss
 * over the batch; `backward()` returns (y − t) / N. `t` is one-hot ([N, C]) or one class index
 * per row ([N]). The loss is computed from the log-softmax, so it is finite for any finite x
 * (the book's `log(y + 1e-7)` instead caps it near 16.1 per sample).
 */
export class SoftmaxWithLoss {
  /** The last mean loss. */
  loss: number | null = null;
  /** Softmax output of the last forward (owned by the layer). */
  y: Tensor | null = null;
  /** The targets of the last forward (kept by reference, as the book keeps `self.t`). */
  t: Tensor | null = null;
  #targets: TargetKind = 'onehot';
  /** (y − t) / N from the last forward. */
  #dx: Tensor | null = null;
  /** Why the last forward failed after it had overwritten y and dx (null: it succeeded or never ran). */
  #failure: string | null = null;

  forward(x: Tensor, t: Tensor): number {
    checkTensor('SoftmaxWithLoss.forward', 'x', x);
    checkTensor('SoftmaxWithLoss.forward', 't', t);
    if (x.shape.length !== 2)
      throw new Error(`SoftmaxWithLoss.forward: expected scores x of shape [batch, classes], got ${formatShape(x.shape)}`);
    const [batch, classes] = x.shape;
    const targets = checkTargets('SoftmaxWithLoss.forward', t, x);
    // Bad arguments were refused above with the layer unchanged; from here on the buffers are
    // overwritten, so a failure leaves the layer marked failed until the next good forward.
    this.#failure = 'it was interrupted';
    this.#targets = targets;
    const backend = x.backend;
    this.y = reuseBuffer(this.y, backend, x.shape);
    this.#dx = reuseBuffer(this.#dx, backend, x.shape);
    this.t = t;
    this.loss = null;
    // dx = (y − t) / N is computed here, in the same pass as y, while each row is in cache;
    // backward() then only hands it out.
    const loss = backend.softmaxXentGrad(batch, classes, x, t, this.#targets, this.y, this.#dx);
    if (!Number.isFinite(loss)) {
      const error = new NonFiniteLossError(
        `SoftmaxWithLoss.forward: the loss is ${loss}; ${findNonFinite(x, 'x') ?? findNonFinite(t, 't') ?? 'the inputs are finite'}`,
        loss,
      );
      this.#failure = error.message;
      throw error;
    }
    this.#failure = null;
    this.loss = loss;
    return loss;
  }

  /** dx = (y − t) / N. As in the book, `dout` is the gradient of the final output and must be 1. */
  backward(dout = 1): Tensor {
    if (dout !== 1) throw new Error(`SoftmaxWithLoss.backward: the loss is the end of the graph, so dout must be 1, got ${dout}`);
    if (this.#failure !== null)
      throw new Error(
        `SoftmaxWithLoss.backward: the last forward failed (${this.#failure}), so there is no gradient; run a forward that succeeds first`,
      );
    return requireForward('SoftmaxWithLoss.backward', this.#dx);
  }

  dispose(): void {
    this.y?.dispose();
    this.#dx?.dispose();
    this.y = this.#dx = this.t = null;
    this.loss = null;
    this.#failure = null;
  }
}

/** Thrown by `SoftmaxWithLoss.forward` when the loss is NaN or ±Infinity (e.g. a diverging training run). */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    message: string,
    readonly loss: number,
  ) {
    super(message);
  }
}

/** One-hot targets have the scores' shape; label targets one index per row. */
export function targetKind(where: string, t: Tensor, batch: number, classes: number): TargetKind {
  if (t.shape.length === 2 && t.shape[0] === batch && t.shape[1] === classes) return 'onehot';
  if (t.shape.length === 1 && t.shape[0] === batch) return 'labels';
  throw new Error(
    `${where}: expected targets t of shape [${batch}, ${classes}] (one-hot) or [${batch}] (class indices), got ${formatShape(t.shape)}`,
  );
}

/** How far a one-hot (or probability) row's sum may be from 1. */
export const ROW_SUM_TOLERANCE = 1e-3;

/**
 * The one target check of loss, accuracy and gradient, against the scores `[batch, classes]`:
 * `t` is a Tensor on the scores' backend; class indices are integers in 0..classes−1; one-hot
 * rows are probability distributions (non-negative, summing to 1 within 1e-3). Returns the kind.
 */
export function checkTargets(where: string, t: Tensor, scores: Pick<Tensor, 'backend' | 'shape'>): TargetKind {
  if (!(t instanceof Tensor)) throw new Error(`${where}: expected targets t to be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.backend !== scores.backend) {
    throw new Error(
      `${where}: the targets t belong to backend '${t.backend.name}', the scores to '${scores.backend.name}'; create t on the net's backend`,
    );
  }
  const [batch, classes] = scores.shape;
  const kind = targetKind(where, t, batch, classes);
  const data = t.data;
  if (kind === 'labels') {
    checkLabels(where, data, classes);
    return kind;
  }
  for (let r = 0; r < batch; r++) {
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const v = data[r * classes + j];
      if (!(v >= 0 && v <= 1))
        throw new Error(`${where}: expected one-hot rows of t to be probabilities in [0, 1], found ${v} at row ${r}, column ${j}`);
      sum += v;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new Error(`${where}: expected each one-hot row of t to sum to 1 (within ${ROW_SUM_TOLERANCE}), row ${r} sums to ${sum}`);
    }
  }
  return kind;
}

function findNonFinite(t: Tensor, name: string): string | null {
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return `${name} holds ${data[i]} at flat index ${i} (shape ${formatShape(t.shape)})`;
  }
  return null;
}
