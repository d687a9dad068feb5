import { checkTensor, formatShape, sameShape, type Tensor } from '../core/tensor.js';
import { checkWindow, outputSize, windowOptions, type Window } from '../core/window.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';
import { Pooling } from './pooling.js';
import { Relu } from './relu.js';

export interface ConvolutionOptions {
  /** Step of the filter (default 1). */
  stride?: number;
  /** Zeros added on each side of the input (default 0). */
  pad?: number;
}

/**
 * The convolution layer (§7.4.3): W is [FN, C, FH, FW], b is [FN], x is [N, C, H, W] and the
 * output is [N, FN, OH, OW], computed as im2col + GEMM (see crate/src/conv.rs for the layout).
 * `backward` returns dx and leaves dW and db on the layer, as the book's `Convolution` does.
 *
 * `W` and `b` are the caller's tensors (a network owns them); everything else is the layer's own,
 * allocated once per input shape and overwritten by every call.
 */
export class Convolution implements Layer {
  readonly type = 'Convolution';
  readonly W: Tensor;
  readonly b: Tensor;
  readonly stride: number;
  readonly pad: number;
  dW: Tensor | null = null;
  db: Tensor | null = null;
  /** The im2col columns of the last forward, [N, C·FH·FW, OH·OW] (the book's `self.col`, transposed per sample). */
  col: Tensor | null = null;
  /** The input of the last forward (kept by reference). */
  x: Tensor | null = null;
  #window: Window | null = null;
  #out: Tensor | null = null;
  #dx: Tensor | null = null;
  #dcol: Tensor | null = null;

  constructor(W: Tensor, b: Tensor, options: ConvolutionOptions = {}) {
    const where = 'new Convolution(W, b)';
    checkTensor(where, 'W', W);
    checkTensor(where, 'b', b);
    if (W.shape.length !== 4)
      throw new Error(`${where}: expected W of shape [filters, channels, height, width], got ${formatShape(W.shape)}`);
    if (b.shape.length !== 1 || b.shape[0] !== W.shape[0]) {
      throw new Error(`${where}: expected b of shape [${W.shape[0]}] to match W ${formatShape(W.shape)}, got ${formatShape(b.shape)}`);
    }
    if (W.backend !== b.backend) throw new Error(`${where}: W is on backend '${W.backend.name}' but b is on '${b.backend.name}'`);
    const { stride, pad } = windowOptions(where, options);
    this.W = W;
    this.b = b;
    this.stride = stride;
    this.pad = pad;
  }

  /** [C, H, W] of one sample of the last forward's input (null before one): what saveModel records of a net's input. */
  get inputShape(): [number, number, number] | null {
    const g = this.#window;
    return g ? [g.c, g.h, g.w] : null;
  }

  forward(x: Tensor): Tensor {
    const where = 'Convolution.forward';
    checkTensor(where, 'x', x);
    const [filters, channels, fh, fw] = this.W.shape;
    if (x.shape.length !== 4)
      throw new Error(`${where}: expected x of shape [batch, ${channels}, height, width], got ${formatShape(x.shape)}`);
    const [n, c, h, w] = x.shape;
    if (c !== channels)
      throw new Error(
        `${where}: x has ${c} channels (shape ${formatShape(x.shape)}) but W expects ${channels} (W shape ${formatShape(this.W.shape)})`,
      );
    const g = this.#windowFor(where, n, c, h, w, fh, fw);
    const { oh, ow } = outputSize(g);
    const backend = this.W.backend;
    this.x = x;
    this.col = reuseBuffer(this.col, backend, [n, c * fh * fw, oh * ow]);
    this.#out = reuseBuffer(this.#out, backend, [n, filters, oh, ow]);
    backend.convForward(g.n, g.c, g.h, g.w, g.fh, g.fw, g.stride, g.pad, filters, x, this.W, this.b, this.col, this.#out);
    return this.#out;
  }

  /** dW, db, and returns dx in x's shape. */
  backward(dout: Tensor): Tensor {
    this.#backward('Convolution.backward', dout, true);
    return this.#dx!;
  }

  /** dW and db only: for a network's first layer, whose input gradient nothing uses. */
  backwardParams(dout: Tensor): void {
    this.#backward('Convolution.backwardParams', dout, false);
  }

  /**
   * 2 when `layers` (a network's, this layer first) go on with a Relu of this layer's output and a
   * Pooling of the Relu's, after a forward, and the shapes are ones the one-pass backward is faster
   * for (`fusedShape`): `backwardParamsThrough` then takes the three backwards in one pass.
   */
  fusedBackwardDepth(layers: readonly Layer[]): number {
    const pool = this.#chain(layers);
    return pool && fusedShape(this.#window!, pool.window!) ? 2 : 0;
  }

  /** The Pooling of `layers` when they are this layer, a Relu of its output and a Pooling of that, after a forward. */
  #chain(layers: readonly Layer[]): Pooling | null {
    const [self, relu, pool] = layers;
    if (self !== this || !(relu instanceof Relu) || !(pool instanceof Pooling)) return null;
    const chained = this.#out !== null && relu.input === this.#out && relu.out !== null && pool.input === relu.out;
    return chained ? pool : null;
  }

  /**
   * dW and db (no dx) from `dout`, the gradient of the Pooling's output, through the Relu and the
   * Pooling after this layer (`layers`: this layer, a Relu of its output, a Pooling of that, after a
   * forward): the same values as Pooling.backward, Relu.backward and backwardParams one after
   * another, up to the order of the sums, touching only the positions the pooling chose (≤ 1 in 4
   * for a 2×2 pooling). The Relu's and Pooling's own backward are not run. Any shape works;
   * `fusedBackwardDepth` says for which it is faster, and Sequential.gradient takes it only then.
   */
  backwardParamsThrough(layers: readonly Layer[], dout: Tensor): void {
    const where = 'Convolution.backwardParamsThrough';
    const pool = this.#chain(layers);
    if (!pool) throw new Error(`${where}: expected this Convolution, a Relu of its output and a Pooling of that, after a forward`);
    checkTensor(where, 'dout', dout);
    const x = requireForward(where, this.x);
    const g = requireForward(where, this.#window);
    const pg = requireForward(where, pool.window);
    const pooled = requireForward(where, pool.output);
    checkDout(where, dout, pooled);
    const backend = this.W.backend;
    this.dW = reuseBuffer(this.dW, backend, this.W.shape);
    this.db = reuseBuffer(this.db, backend, this.b.shape);
    backend.convReluPoolBackward(
      g.n,
      g.c,
      g.h,
      g.w,
      g.fh,
      g.fw,
      g.stride,
      g.pad,
      this.W.shape[0],
      pg.fh,
      pg.fw,
      pg.stride,
      pg.pad,
      x,
      pooled,
      pool.argmax!,
      dout,
      this.dW,
      this.db,
    );
  }

  #backward(where: string, dout: Tensor, wantDx: boolean): void {
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.#out);
    const x = requireForward(where, this.x);
    const g = requireForward(where, this.#window);
    checkDout(where, dout, out);
    const backend = this.W.backend;
    const filters = this.W.shape[0];
    this.dW = reuseBuffer(this.dW, backend, this.W.shape);
    this.db = reuseBuffer(this.db, backend, this.b.shape);
    if (wantDx) {
      this.#dx = reuseBuffer(this.#dx, backend, x.shape);
      this.#dcol = reuseBuffer(this.#dcol, backend, [this.col!.shape[1], this.col!.shape[2]]);
    }
    backend.convBackward(
      g.n,
      g.c,
      g.h,
      g.w,
      g.fh,
      g.fw,
      g.stride,
      g.pad,
      filters,
      this.col!,
      this.W,
      dout,
      this.dW,
      this.db,
      wantDx ? this.#dcol : null,
      wantDx ? this.#dx : null,
    );
  }

  /** The window for this input, reused while the input shape stays (a training step allocates nothing). */
  #windowFor(where: string, n: number, c: number, h: number, w: number, fh: number, fw: number): Window {
    const last = this.#window;
    if (last && sameShape([last.n, last.c, last.h, last.w], [n, c, h, w])) return last;
    const g = { n, c, h, w, fh, fw, stride: this.stride, pad: this.pad };
    checkWindow(where, g);
    this.#window = g;
    return g;
  }

  params(): LayerParams {
    return { W: this.W, b: this.b };
  }

  grads(): LayerParams<Tensor | null> {
    return { W: this.dW, b: this.db };
  }

  dispose(): void {
    for (const t of [this.#out, this.#dx, this.#dcol, this.col, this.dW, this.db]) t?.dispose();
    this.#out = this.#dx = this.#dcol = this.col = this.dW = this.db = this.x = null;
    this.#window = null;
  }
}

/**
 * The shapes convReluPoolBackward has its SIMD path for (crate/src/conv_pool.rs, `filters_grad`):
 * no padding on either window, C·FH = 3 with FW ≤ 4, or C·FH = 5 or 7 with FW from 5 to 8 (a
 * grayscale first layer's 3×3, 5×5, 7×7 filters), a pooling window of at most 64. There it takes
 * about half the time of the three backwards; elsewhere it goes patch by patch, about twice
 * theirs (measured 2026-12-07), so a network runs the layers one after another instead.
 */
export function fusedShape(g: Window, pool: Window): boolean {
  if (g.pad !== 0 || pool.pad !== 0 || pool.fh * pool.fw > 64) return false;
  const rows = g.c * g.fh;
  return (rows === 3 && g.fw <= 4) || ((rows === 5 || rows === 7) && g.fw >= 5 && g.fw <= 8);
}
