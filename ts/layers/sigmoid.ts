import type { Backend } from '../core/backend.js';
import type { Tensor } from '../core/tensor.js';
import { OutputCachingActivation } from './activation.js';

/** Sigmoid (§5.5.2): y = 1 / (1 + exp(−x)); backward needs only the output: dx = dout·(1 − y)·y. */
export class Sigmoid extends OutputCachingActivation {
  readonly type = 'Sigmoid';
  protected forwardKernel(backend: Backend, x: Tensor, out: Tensor): void {
    backend.sigmoidForward(x, out);
  }
  protected backwardKernel(backend: Backend, out: Tensor, dout: Tensor, dx: Tensor): void {
    backend.sigmoidBackward(out, dout, dx);
  }
}
