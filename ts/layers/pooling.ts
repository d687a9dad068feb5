import { describeValue } from '../core/checks.js';
import { checkTensor, formatShape, sameShape, type Tensor } from '../core/tensor.js';
import { checkWindow, outputSize, windowOptions, type Window } from '../core/window.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';

export interface PoolingOptions {
  /** Step of the window (default 1, as the book's `Pooling`). */
  stride?: number;
  /** Zeros added on each side of the input (default 0); padding takes part in the max as 0, as in the book. */
  pad?: number;
}

/**
 * Max pooling (§7.4.4) over [N, C, H, W]: each output is the largest value of its poolH×poolW
 * window; the backward sends each gradient to the input that won, the first maximum on a tie
 * (numpy's `argmax`, as in the book).
 */
export class Pooling implements Layer {
  readonly type = 'Pooling';
  readonly poolH: number;
  readonly poolW: number;
  readonly stride: number;
  readonly pad: number;
  /** Per output, the index i·poolW + j of the input that won inside its window (the book's `arg_max`). */
  argmax: Tensor | null = null;
  #window: Window | null = null;
  #x: Tensor | null = null;
  #out: Tensor | null = null;
  #dx: Tensor | null = null;

  constructor(poolH: number, poolW: number, options: PoolingOptions = {}) {
    const where = 'new Pooling(poolH, poolW)';
    for (const [name, v] of Object.entries({ poolH, poolW })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: expected ${name} to be an integer ≥ 1, got ${describeValue(v)}`);
    }
    const { stride, pad } = windowOptions(where, options);
    this.poolH = poolH;
    this.poolW = poolW;
    this.stride = stride;
    this.pad = pad;
  }

  /** [C, H, W] of one sample of the last forward's input (null before one): what saveModel records of a net's input. */
  get inputShape(): [number, number, number] | null {
    const g = this.#window;
    return g ? [g.c, g.h, g.w] : null;
  }

  forward(x: Tensor): Tensor {
    const where = 'Pooling.forward';
    checkTensor(where, 'x', x);
    if (x.shape.length !== 4)
      throw new Error(`${where}: expected x of shape [batch, channels, height, width], got ${formatShape(x.shape)}`);
    const [n, c, h, w] = x.shape;
    let g = this.#window;
    if (!g || !sameShape([g.n, g.c, g.h, g.w], x.shape)) {
      g = { n, c, h, w, fh: this.poolH, fw: this.poolW, stride: this.stride, pad: this.pad };
      checkWindow(where, g, 'pooling window');
      this.#window = g;
    }
    const { oh, ow } = outputSize(g);
    const backend = x.backend;
    this.#x = x;
    this.#out = reuseBuffer(this.#out, backend, [n, c, oh, ow]);
    this.argmax = reuseBuffer(this.argmax, backend, [n, c, oh, ow]);
    backend.maxPoolForward(g.n, g.c, g.h, g.w, g.fh, g.fw, g.stride, g.pad, x, this.#out, this.argmax);
    return this.#out;
  }

  backward(dout: Tensor): Tensor {
    const where = 'Pooling.backward';
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.#out);
    const x = requireForward(where, this.#x);
    checkDout(where, dout, out);
    this.#dx = reuseBuffer(this.#dx, x.backend, x.shape);
    const g = this.#window!;
    x.backend.maxPoolBackward(g.n, g.c, g.h, g.w, g.fh, g.fw, g.stride, g.pad, dout, this.argmax!, this.#dx);
    return this.#dx;
  }

  /** The input of the last forward (kept by reference), null before one. */
  get input(): Tensor | null {
    return this.#x;
  }

  /** The output of the last forward, null before one. */
  get output(): Tensor | null {
    return this.#out;
  }

  /** @internal The window of the last forward, null before one (Convolution.backwardParamsThrough reads it). */
  get window(): Window | null {
    return this.#window;
  }

  /** Nothing to learn. */
  params(): LayerParams {
    return {};
  }

  grads(): LayerParams<null> {
    return {};
  }

  dispose(): void {
    for (const t of [this.#out, this.#dx, this.argmax]) t?.dispose();
    this.#out = this.#dx = this.argmax = this.#x = null;
    this.#window = null;
  }
}
