import type { Backend } from '../core/backend.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';

/**
 * An element-wise activation whose backward needs only its forward output `out` (true of both
 * ReLU and Sigmoid), so `out` is the whole cache.
 */
export abstract class OutputCachingActivation implements Layer {
  /** The last forward output (owned by the layer, reused across calls). */
  out: Tensor | null = null;
  #x: Tensor | null = null;
  #dx: Tensor | null = null;

  abstract readonly type: 'Relu' | 'Sigmoid';
  protected abstract forwardKernel(backend: Backend, x: Tensor, out: Tensor): void;
  protected abstract backwardKernel(backend: Backend, out: Tensor, dout: Tensor, dx: Tensor): void;

  forward(x: Tensor): Tensor {
    checkTensor(`${this.type}.forward`, 'x', x);
    this.out = reuseBuffer(this.out, x.backend, x.shape);
    this.#x = x;
    this.forwardKernel(x.backend, x, this.out);
    return this.out;
  }

  /** The input of the last forward (kept by reference, not used by the backward), null before one. */
  get input(): Tensor | null {
    return this.#x;
  }

  backward(dout: Tensor): Tensor {
    const where = `${this.type}.backward`;
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.out);
    checkDout(where, dout, out);
    this.#dx = reuseBuffer(this.#dx, out.backend, out.shape);
    this.backwardKernel(out.backend, out, dout, this.#dx);
    return this.#dx;
  }

  /** Nothing to learn. */
  params(): LayerParams {
    return {};
  }

  grads(): LayerParams<null> {
    return {};
  }

  dispose(): void {
    this.out?.dispose();
    this.#dx?.dispose();
    this.out = this.#dx = this.#x = null;
  }
}
