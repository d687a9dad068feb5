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

/** What flows along an edge: a plain number (the book's scalar nodes) or a tensor. */
export type Value = number | Tensor;
export type ValueKind = 'scalar' | 'tensor';

/** The operations a graph node can apply; `input` nodes hold a value the user gives. */
export type OpType =
  | 'input'
  | 'mul'
  | 'add'
  | 'affine'
  | 'convolution'
  | 'pooling'
  | 'relu'
  | 'sigmoid'
  | 'batchNorm'
  | 'dropout'
  | 'softmaxWithLoss';

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

// ---- the registry: one entry per op ---------------------------------------------------------

/** A node's numbers, formatted, for its explanation. */
export interface StepText {
  name: string;
  /** Input i's node name. */
  input(i: number): string;
  /** Input i's value. */
  value(i: number): string;
  out: string;
  dout: string;
  /** The gradient sent back to input i. */
  grad(i: number): string;
}

/** Everything the graph, the DOT drawing and the explanations know of one op. */
export interface OpEntry {
  /** The name a node gets unless given one; numbered (mul1, mul2, …) when `numbered`. */
  readonly defaultName: string;
  readonly numbered: boolean;
  /** Drawn as a circle with this symbol (the book's × and +); otherwise a box with the node's name. */
  readonly symbol?: string;
  /** A new instance of the op, with its own layer. */
  make(): Op;
  /** One sentence on the local forward step and on the backward step, with the node's numbers. */
  forwardText(s: StepText): string;
  backwardText(s: StepText): string;
}

/** The graph's ops: adding a layer to graphs is one entry here (and its `Graph` method). */
export const OPS: Record<Exclude<OpType, 'input'>, OpEntry> = {
  mul: {
    defaultName: 'mul',
    numbered: true,
    symbol: '×',
    make: () => new MulOp(),
    forwardText: (s) => `${s.name}: ${s.value(0)} × ${s.value(1)} = ${s.out}`,
    backwardText: (s) =>
      `${s.name}: the inputs swap — ∂/∂${s.input(0)} = ${s.dout} × ${s.value(1)} = ${s.grad(0)}, ∂/∂${s.input(1)} = ${s.dout} × ${s.value(0)} = ${s.grad(1)}`,
  },
  add: {
    defaultName: 'add',
    numbered: true,
    symbol: '+',
    make: () => new AddOp(),
    forwardText: (s) => `${s.name}: ${s.value(0)} + ${s.value(1)} = ${s.out}`,
    backwardText: (s) => `${s.name}: ${s.dout} passes through unchanged to ${s.input(0)} (${s.grad(0)}) and ${s.input(1)} (${s.grad(1)})`,
  },
  affine: {
    defaultName: 'Affine',
    numbered: true,
    make: () => new AffineOp(),
    forwardText: (s) => `${s.name}: x·W + b = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = dout·Wᵀ = ${s.grad(0)}, dW = xᵀ·dout = ${s.grad(1)}, db = Σ dout = ${s.grad(2)}`,
  },
  convolution: {
    defaultName: 'Conv',
    numbered: true,
    make: () => new ConvolutionOp(),
    forwardText: (s) => `${s.name}: W ∗ x + b (im2col + GEMM) = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = col2im(Wᵀ·dout) = ${s.grad(0)}, dW = dout·colᵀ = ${s.grad(1)}, db = Σ dout = ${s.grad(2)}`,
  },
  pooling: {
    defaultName: 'Pool',
    numbered: true,
    make: () => new PoolingOp(),
    forwardText: (s) => `${s.name}: the maximum of each window = ${s.out}`,
    backwardText: (s) => `${s.name}: dout goes to the input that won its window, 0 elsewhere = ${s.grad(0)}`,
  },
  relu: {
    defaultName: 'Relu',
    numbered: true,
    make: () => new ActivationOp('relu'),
    forwardText: (s) => `${s.name}: max(x, 0) = ${s.out}`,
    backwardText: (s) => `${s.name}: dout where x > 0, else 0 = ${s.grad(0)}`,
  },
  sigmoid: {
    defaultName: 'Sigmoid',
    numbered: true,
    make: () => new ActivationOp('sigmoid'),
    forwardText: (s) => `${s.name}: 1 / (1 + exp(−x)) = ${s.out}`,
    backwardText: (s) => `${s.name}: dout·(1 − y)·y = ${s.grad(0)}`,
  },
  batchNorm: {
    defaultName: 'BatchNorm',
    numbered: true,
    make: () => new BatchNormOp(),
    forwardText: (s) => `${s.name}: γ·(x − μ)/√(σ² + ε) + β, with μ and σ² of each feature over the batch = ${s.out}`,
    backwardText: (s) =>
      `${s.name}: dx = γ/σ·(dout − mean(dout) − xn·mean(xn·dout)) = ${s.grad(0)}, dγ = Σ xn·dout = ${s.grad(1)}, dβ = Σ dout = ${s.grad(2)}`,
  },
  dropout: {
    defaultName: 'Dropout',
    numbered: true,
    make: () => new DropoutOp(),
    forwardText: (s) => `${s.name}: x·mask, a unit kept where rand > ratio = ${s.out}`,
    backwardText: (s) => `${s.name}: dout·mask, the same mask = ${s.grad(0)}`,
  },
  softmaxWithLoss: {
    defaultName: 'SoftmaxWithLoss',
    numbered: false,
    make: () => new SoftmaxWithLossOp(),
    forwardText: (s) => `${s.name}: cross-entropy(softmax(x), t) = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = (y − t) / N = ${s.grad(0)}`,
  },
};
