import type { Tensor } from '../core/tensor.js';

// What a graph's ops are and how they are shown, apart from the classes that compute them
// (ops.ts, which run the layers): the renderer (backprop-wasm/render) reads only this file, so
// it needs no layer, no backend and no Tensor class of its own.

/** What flows along an edge: a plain number (the book's scalar nodes) or a tensor. */
export type Value = number | Tensor;
export type ValueKind = 'scalar' | 'tensor';

/** The operations a graph node can apply; `input` nodes hold a value the user gives. */
export type OpType =
  | 'input'
  | 'mul'
  | 'add'
  | 'exp'
  | 'log'
  | 'reciprocal'
  | 'square'
  | 'affine'
  | 'convolution'
  | 'pooling'
  | 'relu'
  | 'sigmoid'
  | 'batchNorm'
  | 'dropout'
  | 'softmaxWithLoss';

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

/** The two sentences that explain one op's local step (OpInfo's; a page in another language passes its own). */
export interface OpText {
  /** One sentence on the local forward step and on the backward step, with the node's numbers. */
  forwardText(s: StepText): string;
  backwardText(s: StepText): string;
}

/** What the graph, the DOT drawing and the explanations show of one op (its computing class is in ops.ts). */
export interface OpInfo extends OpText {
  /** The name a node gets unless given one; numbered (mul1, mul2, …) when `numbered`. */
  readonly defaultName: string;
  readonly numbered: boolean;
  /** Drawn as a circle with this symbol (the book's ×, +, exp, log, / and **2); otherwise a box with the node's name. */
  readonly symbol?: string;
  /** The local derivative ∂y/∂x of a one-input node, drawn next to it (y is the node's output). */
  readonly derivative?: string;
}

/** How each op is shown: adding an op to graphs is one entry here, one in ops.ts's OPS and its `Graph` method. */
export const OP_INFO: Record<Exclude<OpType, 'input'>, OpInfo> = {
  mul: {
    defaultName: 'mul',
    numbered: true,
    symbol: '×',
    forwardText: (s) => `${s.name}: ${s.value(0)} × ${s.value(1)} = ${s.out}`,
    backwardText: (s) =>
      `${s.name}: the inputs swap — ∂/∂${s.input(0)} = ${s.dout} × ${s.value(1)} = ${s.grad(0)}, ∂/∂${s.input(1)} = ${s.dout} × ${s.value(0)} = ${s.grad(1)}`,
  },
  add: {
    defaultName: 'add',
    numbered: true,
    symbol: '+',
    forwardText: (s) => `${s.name}: ${s.value(0)} + ${s.value(1)} = ${s.out}`,
    backwardText: (s) => `${s.name}: ${s.dout} passes through unchanged to ${s.input(0)} (${s.grad(0)}) and ${s.input(1)} (${s.grad(1)})`,
  },
  exp: {
    defaultName: 'exp',
    numbered: true,
    symbol: 'exp',
    derivative: '∂y/∂x = exp(x) = y',
    forwardText: (s) => `${s.name}: exp(${s.value(0)}) = ${s.out}`,
    backwardText: (s) => `${s.name}: ∂y/∂x = exp(x) = y, so ${s.dout} × ${s.out} = ${s.grad(0)} goes back to ${s.input(0)}`,
  },
  log: {
    defaultName: 'log',
    numbered: true,
    symbol: 'log',
    derivative: '∂y/∂x = 1/x',
    forwardText: (s) => `${s.name}: log(${s.value(0)}) = ${s.out}`,
    backwardText: (s) => `${s.name}: ∂y/∂x = 1/x, so ${s.dout} / ${s.value(0)} = ${s.grad(0)} goes back to ${s.input(0)}`,
  },
  reciprocal: {
    defaultName: 'reciprocal',
    numbered: true,
    symbol: '/',
    derivative: '∂y/∂x = −1/x² = −y²',
    forwardText: (s) => `${s.name}: 1 / ${s.value(0)} = ${s.out}`,
    backwardText: (s) => `${s.name}: ∂y/∂x = −1/x² = −y², so ${s.dout} × −(${s.out})² = ${s.grad(0)} goes back to ${s.input(0)}`,
  },
  square: {
    defaultName: 'square',
    numbered: true,
    symbol: '**2',
    derivative: '∂y/∂x = 2x',
    forwardText: (s) => `${s.name}: (${s.value(0)})² = ${s.out}`,
    backwardText: (s) => `${s.name}: ∂y/∂x = 2x, so ${s.dout} × 2 × ${s.value(0)} = ${s.grad(0)} goes back to ${s.input(0)}`,
  },
  affine: {
    defaultName: 'Affine',
    numbered: true,
    forwardText: (s) => `${s.name}: x·W + b = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = dout·Wᵀ = ${s.grad(0)}, dW = xᵀ·dout = ${s.grad(1)}, db = Σ dout = ${s.grad(2)}`,
  },
  convolution: {
    defaultName: 'Conv',
    numbered: true,
    forwardText: (s) => `${s.name}: W ∗ x + b (im2col + GEMM) = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = col2im(Wᵀ·dout) = ${s.grad(0)}, dW = dout·colᵀ = ${s.grad(1)}, db = Σ dout = ${s.grad(2)}`,
  },
  pooling: {
    defaultName: 'Pool',
    numbered: true,
    forwardText: (s) => `${s.name}: the maximum of each window = ${s.out}`,
    backwardText: (s) => `${s.name}: dout goes to the input that won its window, 0 elsewhere = ${s.grad(0)}`,
  },
  relu: {
    defaultName: 'Relu',
    numbered: true,
    forwardText: (s) => `${s.name}: max(x, 0) = ${s.out}`,
    backwardText: (s) => `${s.name}: dout where x > 0, else 0 = ${s.grad(0)}`,
  },
  sigmoid: {
    defaultName: 'Sigmoid',
    numbered: true,
    forwardText: (s) => `${s.name}: 1 / (1 + exp(−x)) = ${s.out}`,
    backwardText: (s) => `${s.name}: dout·(1 − y)·y = ${s.grad(0)}`,
  },
  batchNorm: {
    defaultName: 'BatchNorm',
    numbered: true,
    forwardText: (s) => `${s.name}: γ·(x − μ)/√(σ² + ε) + β, with μ and σ² of each feature over the batch = ${s.out}`,
    backwardText: (s) =>
      `${s.name}: dx = γ/σ·(dout − mean(dout) − xn·mean(xn·dout)) = ${s.grad(0)}, dγ = Σ xn·dout = ${s.grad(1)}, dβ = Σ dout = ${s.grad(2)}`,
  },
  dropout: {
    defaultName: 'Dropout',
    numbered: true,
    forwardText: (s) => `${s.name}: x·mask, a unit kept where rand > ratio = ${s.out}`,
    backwardText: (s) => `${s.name}: dout·mask, the same mask = ${s.grad(0)}`,
  },
  softmaxWithLoss: {
    defaultName: 'SoftmaxWithLoss',
    numbered: false,
    forwardText: (s) => `${s.name}: cross-entropy(softmax(x), t) = ${s.out}`,
    backwardText: (s) => `${s.name}: dx = (y − t) / N = ${s.grad(0)}`,
  },
};
