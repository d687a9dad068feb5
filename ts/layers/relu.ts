import type { Backend } from '../core/backend.js';
import type { Tensor } from '../core/tensor.js';
import { OutputCachingActivation } from './activation.js';

/**
 * ReLU (§5.5.1): y = max(x, 0); backward lets dout through where x > 0. The book keeps a mask of
 * x ≤ 0; the forward output carries the same information (y > 0 exactly where x > 0), so that
 * is what is kept.
 */
export class Relu extends OutputCachingActivation {
  readonly type = 'Relu';
  protected forwardKernel(backend: Backend, x: Tensor, out: Tensor): void {
    backend.reluForward(x, out);
  }
  protected backwardKernel(backend: Backend, out: Tensor, dout: Tensor, dx: Tensor): void {
    backend.reluBackward(out, dout, dx);
  }
}
