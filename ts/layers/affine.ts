import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';

/**
 * The batched Affine layer (§5.6.2): out = x·W + b for a batch x of shape [N, ...], flattened to
 * [N, D] as in the book. Backward: dx = dout·Wᵀ (reshaped back to x's shape), dW = xᵀ·dout,
 * db = Σ over the batch of dout.
 *
 * `W` ([D, M]) and `b` ([M]) are the caller's tensors (a network owns them); `dW` and `db` are
 * the layer's own, overwritten by every backward.
 */
export class Affine implements Layer {
  readonly type = 'Affine';
  readonly W: Tensor;
  readonly b: Tensor;
  dW: Tensor | null = null;
  db: Tensor | null = null;
  /** The input of the last forward (kept by reference, as the book keeps `self.x`). */
  x: Tensor | null = null;
  #out: Tensor | null = null;
  #dx: Tensor | null = null;

  constructor(W: Tensor, b: Tensor) {
    checkTensor('new Affine(W, b)', 'W', W);
    checkTensor('new Affine(W, b)', 'b', b);
    if (W.shape.length !== 2) throw new Error(`new Affine(W, b): expected W of shape [inputs, outputs], got ${formatShape(W.shape)}`);
    if (b.shape.length !== 1 || b.shape[0] !== W.shape[1]) {
      throw new Error(
        `new Affine(W, b): expected b of shape [${W.shape[1]}] to match W ${formatShape(W.shape)}, got ${formatShape(b.shape)}`,
      );
    }
    if (W.backend !== b.backend) throw new Error(`new Affine(W, b): W is on backend '${W.backend.name}' but b is on '${b.backend.name}'`);
    this.W = W;
    this.b = b;
  }

  forward(x: Tensor): Tensor {
    checkTensor('Affine.forward', 'x', x);
    const [inputs, outputs] = this.W.shape;
    if (x.shape.length < 2) {
      throw new Error(
        `Affine.forward: expected x of shape [batch, ...] with ${inputs} features per row, got ${formatShape(x.shape)} (use x.reshape([1, ${x.size}]) for a single sample)`,
      );
    }
    const batch = x.shape[0];
    const features = x.shape.slice(1).reduce((a, d) => a * d, 1);
    if (features !== inputs) {
      throw new Error(
        `Affine.forward: x has ${features} features per row (shape ${formatShape(x.shape)}) but W expects ${inputs} (W shape ${formatShape(this.W.shape)})`,
      );
    }
    const backend = this.W.backend;
    this.x = x;
    this.#out = reuseBuffer(this.#out, backend, [batch, outputs]);
    backend.affineForward(batch, inputs, outputs, x, this.W, this.b, this.#out);
    return this.#out;
  }

  /** dW = xᵀ·dout, db = Σ dout, and returns dx = dout·Wᵀ in x's shape. */
  backward(dout: Tensor): Tensor {
    this.#backward('Affine.backward', dout, true);
    return this.#dx!;
  }

  /**
   * dW and db only, without dx: for the first layer of a network, whose input gradient nothing
   * uses (its dx = dout·Wᵀ is a third of the layer's backward work). `Sequential.gradient` calls it.
   */
  backwardParams(dout: Tensor): void {
    this.#backward('Affine.backwardParams', dout, false);
  }

  #backward(where: string, dout: Tensor, wantDx: boolean): void {
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.#out);
    const x = requireForward(where, this.x);
    checkDout(where, dout, out);
    const [inputs, outputs] = this.W.shape;
    const batch = out.shape[0];
    const backend = this.W.backend;
    if (wantDx) this.#dx = reuseBuffer(this.#dx, backend, x.shape);
    this.dW = reuseBuffer(this.dW, backend, this.W.shape);
    this.db = reuseBuffer(this.db, backend, this.b.shape);
    backend.affineBackward(batch, inputs, outputs, x, this.W, dout, this.dW, this.db, wantDx ? this.#dx : null);
  }

  params(): LayerParams {
    return { W: this.W, b: this.b };
  }

  grads(): LayerParams<Tensor | null> {
    return { W: this.dW, b: this.db };
  }

  dispose(): void {
    for (const t of [this.#out, this.#dx, this.dW, this.db]) t?.dispose();
    this.#out = this.#dx = this.dW = this.db = this.x = null;
  }
}
