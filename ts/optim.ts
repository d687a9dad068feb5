import type { Params } from './net.js';
import { sameShape } from './layers/layer.js';
import { formatShape } from './tensor.js';

/** Stochastic gradient descent (§6.1.2): W ← W − lr · ∂L/∂W, in place, for every key of grads. */
export class SGD {
  readonly lr: number;

  constructor({ lr = 0.01 }: { lr?: number } = {}) {
    if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`new SGD({ lr }): expected a positive learning rate, got ${lr}`);
    this.lr = lr;
  }

  update(params: Params, grads: Params): void {
    for (const [key, grad] of Object.entries(grads)) {
      const param = params[key];
      if (!param) throw new Error(`SGD.update: grads has '${key}' but params does not (params: ${Object.keys(params).join(', ')})`);
      if (!sameShape(param.shape, grad.shape)) {
        throw new Error(`SGD.update: params['${key}'] has shape ${formatShape(param.shape)} but its gradient has ${formatShape(grad.shape)}`);
      }
      param.backend.sgd(this.lr, param, grad);
    }
  }
}
