import type { TargetKind } from '../backend.js';
import { checkTensor, formatShape, type Tensor } from '../tensor.js';
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

  forward(x: Tensor, t: Tensor): number {
    checkTensor('SoftmaxWithLoss.forward', 'x', x);
    checkTensor('SoftmaxWithLoss.forward', 't', t);
    if (x.shape.length !== 2) throw new Error(`SoftmaxWithLoss.forward: expected scores x of shape [batch, classes], got ${formatShape(x.shape)}`);
    const [batch, classes] = x.shape;
    this.#targets = targetKind('SoftmaxWithLoss.forward', t, batch, classes);
    const backend = x.backend;
    this.y = reuseBuffer(this.y, backend, x.shape);
    this.#dx = reuseBuffer(this.#dx, backend, x.shape);
    this.t = t;
    // dx = (y − t) / N is computed here, in the same pass as y, while each row is in cache;
    // backward() then only hands it out.
    const loss = backend.softmaxXentGrad(batch, classes, x, t, this.#targets, this.y, this.#dx);
    if (!Number.isFinite(loss)) throw new Error(`SoftmaxWithLoss.forward: the loss is ${loss}; ${findNonFinite(x, 'x') ?? findNonFinite(t, 't') ?? 'the inputs are finite'}`);
    this.loss = loss;
    return loss;
  }

  /** dx = (y − t) / N. As in the book, `dout` is the gradient of the final output and must be 1. */
  backward(dout = 1): Tensor {
    if (dout !== 1) throw new Error(`SoftmaxWithLoss.backward: the loss is the end of the graph, so dout must be 1, got ${dout}`);
    return requireForward('SoftmaxWithLoss.backward', this.#dx);
  }

  dispose(): void {
    this.y?.dispose();
    this.#dx?.dispose();
    this.y = this.#dx = this.t = null;
    this.loss = null;
  }
}

/** One-hot targets have the scores' shape; label targets one index per row. */
export function targetKind(where: string, t: Tensor, batch: number, classes: number): TargetKind {
  if (t.shape.length === 2 && t.shape[0] === batch && t.shape[1] === classes) return 'onehot';
  if (t.shape.length === 1 && t.shape[0] === batch) return 'labels';
  throw new Error(`${where}: expected targets t of shape [${batch}, ${classes}] (one-hot) or [${batch}] (class indices), got ${formatShape(t.shape)}`);
}

function findNonFinite(t: Tensor, name: string): string | null {
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return `${name} holds ${data[i]} at flat index ${i} (shape ${formatShape(t.shape)})`;
  }
  return null;
}
