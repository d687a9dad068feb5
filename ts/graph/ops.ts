import { Affine } from '../layers/affine.js';
import { AddLayer } from '../layers/add.js';
import { Convolution, type ConvolutionOptions } from '../layers/convolution.js';
import { Pooling, type PoolingOptions } from '../layers/pooling.js';
import { BatchNormalization } from '../layers/batch_normalization.js';
import { Dropout, type DropoutOptions } from '../layers/dropout.js';
import { MulLayer } from '../layers/mul.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { SoftmaxWithLoss } from '../layers/softmax_with_loss.js';
import type { Tensor } from '../core/tensor.js';
import { checkNumbers } from '../core/checks.js';
import type { OpType, Value, ValueKind } from './op_info.js';

/**
 * The local computation of one node, done by one instance of an existing layer class: the graph
 * only decides the order, the layer does the math (so there is exactly one set of derivatives).
 * `backward` returns one gradient per input, or `null` where the layer computes none (the
 * targets `t` of SoftmaxWithLoss).
 */
export interface Op {
  readonly type: Exclude<OpType, 'input'>;
  /** What each input must be, in order; checked when the node is recorded. */
  readonly inputKinds: readonly ValueKind[];
  readonly outputKind: ValueKind;
  forward(inputs: readonly Value[]): Value;
  backward(dout: Value): (Value | null)[];
  /** Frees the layer's own buffers (never the tensors the user gave). */
  dispose(): void;
}

/** A node on two numbers through one of the book's scalar layers. */
abstract class ScalarPairOp implements Op {
  abstract readonly type: 'mul' | 'add';
  readonly inputKinds = ['scalar', 'scalar'] as const;
  readonly outputKind = 'scalar';
  abstract readonly layer: MulLayer | AddLayer;
  forward([x, y]: readonly Value[]): number {
    return this.layer.forward(x as number, y as number);
  }
  backward(dout: Value): number[] {
    return this.layer.backward(dout as number);
  }
  dispose(): void {}
}

/** The multiplication node (§5.4.1) through `MulLayer`. */
export class MulOp extends ScalarPairOp {
  readonly type = 'mul';
  readonly layer = new MulLayer();
}

/** The addition node (§5.4.2) through `AddLayer`. */
export class AddOp extends ScalarPairOp {
  readonly type = 'add';
  readonly layer = new AddLayer();
}

/** The one-number nodes of the book's derivations of sigmoid (§5.5.2) and softmax-with-loss (appendix A). */
export type UnaryType = 'exp' | 'log' | 'reciprocal' | 'square';

/**
 * Each one-number node as its function y = f(x) and its local derivative ∂y/∂x, from x and y
 * (exp and "/" read it off the output, as the book does: ∂exp(x)/∂x = y, ∂(1/x)/∂x = −y²).
 */
export const UNARY: Record<UnaryType, { f(x: number): number; df(x: number, y: number): number; domain: string }> = {
  exp: { f: Math.exp, df: (_x, y) => y, domain: 'x below 709.78 (exp(x) overflows above)' },
  log: { f: Math.log, df: (x) => 1 / x, domain: 'x > 0' },
  reciprocal: { f: (x) => 1 / x, df: (_x, y) => -y * y, domain: 'x ≠ 0' },
  square: { f: (x) => x * x, df: (x) => 2 * x, domain: '|x| below 1.34e154 (x² overflows above)' },
};

/**
 * A one-number node (exp, log, "/" or "**2"): forward keeps x and y, backward multiplies dout by
 * the local derivative. These have no layer class of their own: each is one line of math, in UNARY.
 */
export class UnaryOp implements Op {
  readonly inputKinds = ['scalar'] as const;
  readonly outputKind = 'scalar';
  #x: number | null = null;
  #y = 0;
  constructor(readonly type: UnaryType) {}
  forward([x]: readonly Value[]): number {
    const y = UNARY[this.type].f(x as number);
    if (!Number.isFinite(y)) throw new Error(`${this.type}(${x}) is ${y}; expected ${UNARY[this.type].domain}`);
    this.#x = x as number;
    this.#y = y;
    return y;
  }
  backward(dout: Value): number[] {
    if (this.#x === null) throw new Error(`${this.type}.backward: backward() was called before forward(); run forward first`);
    checkNumbers(`${this.type}.backward`, { dout: dout as number });
    return [(dout as number) * UNARY[this.type].df(this.#x, this.#y)];
  }
  dispose(): void {}
}

/**
 * Affine (§5.6.2) with W and b as inputs of the node, so that dW and db appear on their edges
 * like any other gradient. `Affine` binds W and b at construction, so the layer is made at the
 * first forward and made again only if another W or b tensor arrives (e.g. after `Graph.set`).
 */
export class AffineOp implements Op {
  readonly type = 'affine';
  readonly inputKinds = ['tensor', 'tensor', 'tensor'] as const;
  readonly outputKind = 'tensor';
  layer: Affine | null = null;
  forward([x, W, b]: readonly Value[]): Tensor {
    if (this.layer === null || this.layer.W !== W || this.layer.b !== b) {
      this.layer?.dispose();
      this.layer = new Affine(W as Tensor, b as Tensor);
    }
    return this.layer.forward(x as Tensor);
  }
  backward(dout: Value): Tensor[] {
    if (this.layer === null) throw new Error('Affine.backward: backward() was called before forward(); run forward first');
    const dx = this.layer.backward(dout as Tensor);
    return [dx, this.layer.dW!, this.layer.db!];
  }
  dispose(): void {
    this.layer?.dispose();
    this.layer = null;
  }
}

/** Convolution (§7.4.3) with W and b as inputs of the node, made again only when another W or b arrives (as AffineOp). */
export class ConvolutionOp implements Op {
  readonly type = 'convolution';
  readonly inputKinds = ['tensor', 'tensor', 'tensor'] as const;
  readonly outputKind = 'tensor';
  layer: Convolution | null = null;
  constructor(readonly options: ConvolutionOptions = {}) {}
  forward([x, W, b]: readonly Value[]): Tensor {
    if (this.layer === null || this.layer.W !== W || this.layer.b !== b) {
      this.layer?.dispose();
      this.layer = new Convolution(W as Tensor, b as Tensor, this.options);
    }
    return this.layer.forward(x as Tensor);
  }
  backward(dout: Value): Tensor[] {
    if (this.layer === null) throw new Error('Convolution.backward: backward() was called before forward(); run forward first');
    const dx = this.layer.backward(dout as Tensor);
    return [dx, this.layer.dW!, this.layer.db!];
  }
  dispose(): void {
    this.layer?.dispose();
    this.layer = null;
  }
}

/** Max pooling (§7.4.4): one tensor in, one out. */
export class PoolingOp implements Op {
  readonly type = 'pooling';
  readonly inputKinds = ['tensor'] as const;
  readonly outputKind = 'tensor';
  readonly layer: Pooling;
  constructor(poolH = 2, poolW = 2, options: PoolingOptions = { stride: 2 }) {
    this.layer = new Pooling(poolH, poolW, options);
  }
  forward([x]: readonly Value[]): Tensor {
    return this.layer.forward(x as Tensor);
  }
  backward(dout: Value): Tensor[] {
    return [this.layer.backward(dout as Tensor)];
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/** ReLU (§5.5.1) or Sigmoid (§5.5.2): one tensor in, one out. */
export class ActivationOp implements Op {
  readonly inputKinds = ['tensor'] as const;
  readonly outputKind = 'tensor';
  readonly layer: Relu | Sigmoid;
  constructor(readonly type: 'relu' | 'sigmoid') {
    this.layer = type === 'relu' ? new Relu() : new Sigmoid();
  }
  forward([x]: readonly Value[]): Tensor {
    return this.layer.forward(x as Tensor);
  }
  backward(dout: Value): Tensor[] {
    return [this.layer.backward(dout as Tensor)];
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/**
 * Batch Normalization (§6.3) in training mode, with γ and β as inputs of the node (so dγ and dβ
 * show on their edges), made again if another γ or β tensor arrives, as `AffineOp` does.
 */
export class BatchNormOp implements Op {
  readonly type = 'batchNorm';
  readonly inputKinds = ['tensor', 'tensor', 'tensor'] as const;
  readonly outputKind = 'tensor';
  layer: BatchNormalization | null = null;
  constructor(readonly momentum = 0.9) {}
  forward([x, gamma, beta]: readonly Value[]): Tensor {
    if (this.layer === null || this.layer.gamma !== gamma || this.layer.beta !== beta) {
      this.layer?.dispose();
      this.layer = new BatchNormalization(gamma as Tensor, beta as Tensor, { momentum: this.momentum });
    }
    return this.layer.forward(x as Tensor, true);
  }
  backward(dout: Value): Tensor[] {
    if (this.layer === null) throw new Error('BatchNormalization.backward: backward() was called before forward(); run forward first');
    const dx = this.layer.backward(dout as Tensor);
    return [dx, this.layer.dgamma!, this.layer.dbeta!];
  }
  dispose(): void {
    this.layer?.dispose();
    this.layer = null;
  }
}

/** Dropout (§6.4.3) in training mode: each forward draws a new mask from the layer's seeded generator. */
export class DropoutOp implements Op {
  readonly type = 'dropout';
  readonly inputKinds = ['tensor'] as const;
  readonly outputKind = 'tensor';
  readonly layer: Dropout;
  constructor(options: DropoutOptions = {}) {
    this.layer = new Dropout(options);
  }
  forward([x]: readonly Value[]): Tensor {
    return this.layer.forward(x as Tensor, true);
  }
  backward(dout: Value): Tensor[] {
    return [this.layer.backward(dout as Tensor)];
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/** Softmax-with-Loss (§5.6.3): scores and targets in, the mean loss (a number) out. */
export class SoftmaxWithLossOp implements Op {
  readonly type = 'softmaxWithLoss';
  readonly inputKinds = ['tensor', 'tensor'] as const;
  readonly outputKind = 'scalar';
  readonly layer = new SoftmaxWithLoss();
  forward([x, t]: readonly Value[]): number {
    return this.layer.forward(x as Tensor, t as Tensor);
  }
  /** No gradient flows to the targets: they are data, not something the loss is a function of. */
  backward(dout: Value): [Tensor, null] {
    return [this.layer.backward(dout as number), null];
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/**
 * A new op of each type with its default options (the `Graph` methods that take options make
 * their op themselves): one entry per op, as op_info.ts's OP_INFO.
 */
export const OPS: Record<Exclude<OpType, 'input'>, () => Op> = {
  mul: () => new MulOp(),
  add: () => new AddOp(),
  exp: () => new UnaryOp('exp'),
  log: () => new UnaryOp('log'),
  reciprocal: () => new UnaryOp('reciprocal'),
  square: () => new UnaryOp('square'),
  affine: () => new AffineOp(),
  convolution: () => new ConvolutionOp(),
  pooling: () => new PoolingOp(),
  relu: () => new ActivationOp('relu'),
  sigmoid: () => new ActivationOp('sigmoid'),
  batchNorm: () => new BatchNormOp(),
  dropout: () => new DropoutOp(),
  softmaxWithLoss: () => new SoftmaxWithLossOp(),
};
