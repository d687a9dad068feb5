/**
 * The kernel contract: one declaration per kernel, from which the TypeScript side follows.
 *
 * - The checked `Backend` method of the same name (ts/core/backend.ts): its public arguments are
 *   the entry's `args` without the `derived` ones, in order and by name; it hands them to one
 *   checked call that checks them by their roles (ts/core/checks.ts) before anything runs. Errors
 *   name the argument as declared here ("gemmNN: expected B to hold 3×2 = 6 elements, …").
 * - The raw call, in the order of the WASM export: every argument but the `raw: false` ones,
 *   with `derived` values computed here (in f64) from the public ones.
 * - The TS implementation's signature (`TsKernels`, ts/backends/ts_kernels.ts): the raw call with
 *   tensors as `Float32Array`s and flags as booleans.
 * - The WASM export, named by the rule `affineBackward` → `nn_affine_backward`, is generated from
 *   its entry in the kernel table of crate/src/abi.rs (tensors as pointers, an absent optional
 *   output as 0, flags as 0/1). test/kernels/contract.test.ts reads that table and checks every
 *   entry against the one here: argument names, roles and order, the return kind, and every
 *   tensor's element count on sample dimensions.
 *
 * Roles: `dim` (an integer size, 0 to 2³¹ − 1), `scalar` (a hyper-parameter, finite in f32),
 * `flag` (one of two words; the second is `true`), `input`, `output` (overwritten), `inout`
 * (updated in place: an output too), `optOut` (an output that may be `null`), `derived` (raw only).
 * Every tensor declares how many elements it must hold. An output may share memory with no other
 * argument. A kernel returns nothing, a workspace `status` (0, or the bytes it could not reserve:
 * an out-of-memory Error; the TS implementation returns nothing), or a `value` (a number).
 * A kernel that returns no value is not called when all its outputs are empty.
 *
 * Nothing here knows the `Tensor` class: a tensor argument is anything with a `size` and a `shape`
 * (the types below take the tensor type as a parameter), so the backend imports this module and
 * not the other way round.
 */
import { checkLabels } from './checks.js';
import { formatShape } from './shape.js';
import { checkWindowFits, convOutSize, type Window } from './window.js';

/** What the contract reads of a tensor argument. */
export interface Sized {
  readonly size: number;
  readonly shape: readonly number[];
}

/** The public arguments of a call, by name: numbers (dimensions, scalars), flags' words, tensors or `null`. */
export interface Args {
  readonly [name: string]: unknown;
}

/** How many elements a tensor must hold, and how an error says so (`m·k` elements, "m×k"). */
export interface Expect {
  size(a: Args): number;
  text(a: Args): string;
}

export type ArgSpec =
  | { readonly role: 'dim'; readonly name: string }
  | { readonly role: 'scalar'; readonly name: string; readonly raw?: false }
  | { readonly role: 'flag'; readonly name: string; readonly values: readonly [string, string] }
  | { readonly role: 'derived'; readonly name: string; readonly value: (a: Args) => number }
  | {
      readonly role: 'input' | 'output' | 'inout' | 'optOut';
      readonly name: string;
      readonly expect: Expect;
      /** A check of its values (after its size), e.g. class indices. */
      readonly values?: (where: string, data: Float32Array, a: Args) => void;
    };

export interface KernelSpec {
  readonly args: readonly ArgSpec[];
  readonly returns: 'void' | 'status' | 'value';
  /** A check beyond the roles, run after the dimensions, scalars and flags. */
  readonly check?: (where: string, a: Args) => void;
}

// ---- role constructors -------------------------------------------------------------------

const dim = <N extends string>(name: N) => ({ role: 'dim', name }) as const;
const scalar = <N extends string>(name: N) => ({ role: 'scalar', name }) as const;
/** A hyper-parameter of the public call that the raw call receives only through `derived` values. */
const publicScalar = <N extends string>(name: N) => ({ role: 'scalar', name, raw: false }) as const;
const flag = <N extends string, V extends readonly [string, string]>(name: N, values: V) => ({ role: 'flag', name, values }) as const;
const derived = <N extends string>(name: N, value: (a: Args) => number) => ({ role: 'derived', name, value }) as const;
type ValuesCheck = (where: string, data: Float32Array, a: Args) => void;
const input = <N extends string>(name: N, expect: Expect, values?: ValuesCheck) => ({ role: 'input', name, expect, values }) as const;
const output = <N extends string>(name: N, expect: Expect) => ({ role: 'output', name, expect }) as const;
const inout = <N extends string>(name: N, expect: Expect) => ({ role: 'inout', name, expect }) as const;
const optOut = <N extends string>(name: N, expect: Expect) => ({ role: 'optOut', name, expect }) as const;

/** A number argument of the call (a dimension or scalar, checked before any declaration reads it). */
const num = (a: Args, name: string) => a[name] as number;

/** A matrix (or vector) of the named dimensions: `dims('m', 'k')` → m·k elements, "m×k". */
const dims = (...names: string[]): Expect => ({
  size: (a) => names.reduce((p, n) => p * num(a, n), 1),
  text: (a) => names.map((n) => num(a, n)).join('×'),
});
/** As large as the tensor argument `name` (element-wise kernels). */
const like = (name: string): Expect => ({ size: (a) => (a[name] as Sized).size, text: (a) => formatShape((a[name] as Sized).shape) });
/** Element count of an element-wise kernel: that of its first output. */
const sizeOf = (name: string) => derived('n', (a) => (a[name] as Sized).size);

// ---- shared argument lists ---------------------------------------------------------------

const gemm = (aDims: [string, string], bDims: [string, string]) =>
  ({
    args: [dim('m'), dim('k'), dim('n'), input('A', dims(...aDims)), input('B', dims(...bDims)), output('C', dims('m', 'n'))],
    returns: 'status',
  }) as const;

/** Element-wise y → dx kernels (the backward passes of activations). */
const unaryBackward = {
  args: [sizeOf('dx'), input('y', like('dx')), input('dout', like('dx')), output('dx', like('dx'))],
  returns: 'void',
} as const;
const unaryForward = { args: [sizeOf('out'), input('x', like('out')), output('out', like('out'))], returns: 'void' } as const;

/** The targets of a softmax-with-loss: a one-hot (or probability) matrix, or one class index per row. */
const targets = flag('targets', ['onehot', 'labels'] as const);
const targetTensor = input(
  't',
  {
    size: (a) => (a.targets === 'labels' ? num(a, 'rows') : num(a, 'rows') * num(a, 'cols')),
    text: (a) => (a.targets === 'labels' ? `${num(a, 'rows')} class indices` : `${num(a, 'rows')}×${num(a, 'cols')}`),
  },
  (where, data, a) => {
    if (a.targets === 'labels') checkLabels(where, data, num(a, 'cols'));
  },
);
const atLeastOneClass = (where: string, a: Args) => {
  if (num(a, 'rows') > 0 && num(a, 'cols') === 0)
    throw new Error(`${where}: expected cols ≥ 1 (a softmax needs at least one class), got ${num(a, 'rows')} rows of 0 classes`);
};

/** An optimizer step: param and state tensors updated in place from grad. */
const param = inout('param', like('param'));
const grad = input('grad', like('param'));
const state = <N extends string>(name: N) => inout(name, like('param'));

/** The window of a convolution or pooling over x [n, c, h, w]. */
const windowDims = [dim('n'), dim('c'), dim('h'), dim('w'), dim('fh'), dim('fw'), dim('stride'), dim('pad')] as const;
const windowOf = (a: Args) => a as unknown as Window;
const positions = (a: Args) => {
  const g = windowOf(a);
  return convOutSize(g.h, g.fh, g.stride, g.pad) * convOutSize(g.w, g.fw, g.stride, g.pad);
};
const patch = (a: Args) => num(a, 'c') * num(a, 'fh') * num(a, 'fw');
const filtersExpect: Expect = {
  size: (a) => num(a, 'filters') * patch(a),
  text: (a) => `${num(a, 'filters')}×${num(a, 'c')}×${num(a, 'fh')}×${num(a, 'fw')}`,
};
const colExpect: Expect = { size: (a) => num(a, 'n') * patch(a) * positions(a), text: (a) => `${num(a, 'n')}×${patch(a)}×${positions(a)}` };
const convOutExpect: Expect = {
  size: (a) => num(a, 'n') * num(a, 'filters') * positions(a),
  text: (a) => `${num(a, 'n')}×${num(a, 'filters')}×${positions(a)}`,
};
/** The pooling window over a convolution's output [n, filters, oh, ow] (convReluPoolBackward). */
const poolOfConv = (a: Args): Window => {
  const g = windowOf(a);
  return {
    n: g.n,
    c: num(a, 'filters'),
    h: convOutSize(g.h, g.fh, g.stride, g.pad),
    w: convOutSize(g.w, g.fw, g.stride, g.pad),
    fh: num(a, 'poolH'),
    fw: num(a, 'poolW'),
    stride: num(a, 'poolStride'),
    pad: num(a, 'poolPad'),
  };
};
const poolOfConvExpect: Expect = {
  size: (a) => {
    const p = poolOfConv(a);
    return p.n * p.c * convOutSize(p.h, p.fh, p.stride, p.pad) * convOutSize(p.w, p.fw, p.stride, p.pad);
  },
  text: (a) => {
    const p = poolOfConv(a);
    return `${p.n}×${p.c}×${convOutSize(p.h, p.fh, p.stride, p.pad)}×${convOutSize(p.w, p.fw, p.stride, p.pad)}`;
  },
};
const pooledExpect: Expect = {
  size: (a) => num(a, 'n') * num(a, 'c') * positions(a),
  text: (a) => `${num(a, 'n')}×${num(a, 'c')}×${positions(a)}`,
};

// ---- the kernels -------------------------------------------------------------------------

export const KERNELS = {
  /** C[m×n] = A[m×k] · B[k×n]. */
  gemmNN: gemm(['m', 'k'], ['k', 'n']),
  /** C[m×n] = A[m×k] · B[n×k]ᵀ. */
  gemmNT: gemm(['m', 'k'], ['n', 'k']),
  /** C[m×n] = A[k×m]ᵀ · B[k×n]. */
  gemmTN: gemm(['k', 'm'], ['k', 'n']),

  /** In place: x[i, j] += b[j] for a rows×cols matrix x. */
  addBias: { args: [dim('rows'), dim('cols'), inout('x', dims('rows', 'cols')), input('b', dims('cols'))], returns: 'void' },
  /** out[j] = Σ_i x[i, j]. */
  colSum: { args: [dim('rows'), dim('cols'), input('x', dims('rows', 'cols')), output('out', dims('cols'))], returns: 'void' },

  /** out = max(x, 0). */
  reluForward: unaryForward,
  /** dx = dout where the forward output y > 0, else 0. */
  reluBackward: unaryBackward,
  /** out = 1 / (1 + exp(−x)). */
  sigmoidForward: unaryForward,
  /** dx = dout · (1 − y) · y, with y the forward output. */
  sigmoidBackward: unaryBackward,

  /**
   * y = softmax(x) per row; returns the mean cross-entropy −(1/rows) Σ t·log y. `t` is a
   * rows×cols one-hot (or any probability) matrix, or `rows` class indices when `targets` is
   * `'labels'`.
   */
  softmaxXent: {
    args: [dim('rows'), dim('cols'), input('x', dims('rows', 'cols')), targetTensor, targets, output('y', dims('rows', 'cols'))],
    returns: 'value',
    check: atLeastOneClass,
  },
  /** dx = (y − t) / rows, with y from `softmaxXent`. */
  softmaxXentBackward: {
    args: [dim('rows'), dim('cols'), input('y', dims('rows', 'cols')), targetTensor, targets, output('dx', dims('rows', 'cols'))],
    returns: 'void',
    check: atLeastOneClass,
  },
  /**
   * Softmax-with-loss forward and backward in one pass: y = softmax(x) per row, dx = (y − t) / rows;
   * returns the mean cross-entropy. The same as `softmaxXent` followed by `softmaxXentBackward`.
   */
  softmaxXentGrad: {
    args: [
      dim('rows'),
      dim('cols'),
      input('x', dims('rows', 'cols')),
      targetTensor,
      targets,
      output('y', dims('rows', 'cols')),
      output('dx', dims('rows', 'cols')),
    ],
    returns: 'value',
    check: atLeastOneClass,
  },

  // Fused passes: one call per layer and direction (fewer boundary crossings and checks, and
  // the work shares passes over memory). Each equals the composition of the kernels above.

  /** Affine forward: out[m×n] = x[m×k] · W[k×n] + b (b added to every row). */
  affineForward: {
    args: [
      dim('m'),
      dim('k'),
      dim('n'),
      input('x', dims('m', 'k')),
      input('W', dims('k', 'n')),
      input('b', dims('n')),
      output('out', dims('m', 'n')),
    ],
    returns: 'status',
  },
  /**
   * Affine backward for x [m×k], W [k×n], dout [m×n]: dW = xᵀ·dout, db = Σ_rows dout, and
   * dx = dout·Wᵀ unless `dx` is null (a network's first layer: nothing uses its input gradient).
   */
  affineBackward: {
    args: [
      dim('m'),
      dim('k'),
      dim('n'),
      input('x', dims('m', 'k')),
      input('W', dims('k', 'n')),
      input('dout', dims('m', 'n')),
      output('dW', dims('k', 'n')),
      output('db', dims('n')),
      optOut('dx', dims('m', 'k')),
    ],
    returns: 'status',
  },

  /** param −= lr · grad. */
  sgd: { args: [sizeOf('param'), scalar('lr'), param, grad], returns: 'void' },
  /** target += source (gradients of a value used twice add up). */
  accumulate: {
    args: [sizeOf('target'), inout('target', like('target')), input('source', like('target'))],
    returns: 'void',
  },

  // Chapter-6 optimizers: one element-wise pass each, updating `param` and the optimizer's state
  // tensors in place from `grad` (formulas in crate/src/optim.rs and ts/backends/ts_kernels.ts).
  // The constants derived from the hyper-parameters (1 − β, momentum², …) are computed here, in
  // f64, once, and both backends round them to f32 the same way: in f32, 1 − 0.999 is 1.3e-5 off.

  /** Momentum: v = momentum·v − lr·grad; param += v. */
  momentum: { args: [sizeOf('param'), scalar('lr'), scalar('momentum'), param, grad, state('v')], returns: 'void' },
  /** The book's Nesterov: param += momentum²·v − (1 + momentum)·lr·grad with the old v; then v = momentum·v − lr·grad. */
  nesterov: {
    args: [
      sizeOf('param'),
      scalar('lr'),
      scalar('momentum'),
      derived('mm', (a) => num(a, 'momentum') * num(a, 'momentum')),
      derived('step', (a) => (1 + num(a, 'momentum')) * num(a, 'lr')),
      param,
      grad,
      state('v'),
    ],
    returns: 'void',
  },
  /** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
  adagrad: { args: [sizeOf('param'), scalar('lr'), scalar('eps'), param, grad, state('h')], returns: 'void' },
  /** RMSprop: h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps). */
  rmsprop: {
    args: [
      sizeOf('param'),
      scalar('lr'),
      scalar('decay'),
      derived('keep', (a) => 1 - num(a, 'decay')),
      scalar('eps'),
      param,
      grad,
      state('h'),
    ],
    returns: 'void',
  },
  /** Adam: m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v); param −= lrT·m / (√v + eps), lrT bias-corrected by the caller. */
  adam: {
    args: [
      sizeOf('param'),
      scalar('lrT'),
      publicScalar('beta1'),
      publicScalar('beta2'),
      derived('k1', (a) => 1 - num(a, 'beta1')),
      derived('k2', (a) => 1 - num(a, 'beta2')),
      scalar('eps'),
      param,
      grad,
      state('m'),
      state('v'),
    ],
    returns: 'void',
  },

  // Chapter 6: batch normalization of a rows×cols matrix, each column (feature) over the rows
  // (the batch), and dropout's element-wise passes. Formulas in crate/src/batch_norm.rs and
  // ts/backends/ts_normalization.ts.

  /**
   * Training mode: per column μ, σ² of the batch; xn = (x − μ)/√(σ² + ε), out = γ·xn + β,
   * invStd = 1/√(σ² + ε); running ← momentum·running + (1 − momentum)·batch. No-op for 0 rows.
   */
  batchNormForwardTrain: {
    args: [
      dim('rows'),
      dim('cols'),
      scalar('momentum'),
      input('x', dims('rows', 'cols')),
      input('gamma', dims('cols')),
      input('beta', dims('cols')),
      inout('runningMean', dims('cols')),
      inout('runningVar', dims('cols')),
      output('xn', dims('rows', 'cols')),
      output('invStd', dims('cols')),
      output('out', dims('rows', 'cols')),
    ],
    returns: 'void',
  },
  /** Test mode: out = γ·(x − runningMean)/√(runningVar + ε) + β. */
  batchNormForwardTest: {
    args: [
      dim('rows'),
      dim('cols'),
      input('x', dims('rows', 'cols')),
      input('gamma', dims('cols')),
      input('beta', dims('cols')),
      input('runningMean', dims('cols')),
      input('runningVar', dims('cols')),
      output('out', dims('rows', 'cols')),
    ],
    returns: 'void',
  },
  /** dβ = Σ_rows dout, dγ = Σ_rows xn·dout, dx = γ·invStd·(dout − dβ/N − xn·dγ/N). */
  batchNormBackward: {
    args: [
      dim('rows'),
      dim('cols'),
      input('dout', dims('rows', 'cols')),
      input('xn', dims('rows', 'cols')),
      input('invStd', dims('cols')),
      input('gamma', dims('cols')),
      output('dgamma', dims('cols')),
      output('dbeta', dims('cols')),
      output('dx', dims('rows', 'cols')),
    ],
    returns: 'void',
  },
  /** Dropout: out = x·mask (mask 1 for a kept unit, 0 for a dropped one); also its backward. */
  applyMask: { args: [sizeOf('out'), input('x', like('out')), input('mask', like('out')), output('out', like('out'))], returns: 'void' },
  /** out = s·x (dropout at test time, s = 1 − ratio). */
  scale: { args: [sizeOf('out'), scalar('s'), input('x', like('out')), output('out', like('out'))], returns: 'void' },

  // Chapter 7: the convolution as im2col + GEMM, one sample at a time, and max pooling
  // (crate/src/conv.rs, crate/src/pool.rs, ts/backends/conv_kernels.ts). A sample's columns are
  // [c·fh·fw, oh·ow] here (the transpose of the book's im2col rows), so W·col lands directly in NCHW.

  /** col [n, c·fh·fw, oh·ow] (kept for the backward) and out [n, filters, oh, ow] = W·col_n + b. */
  convForward: {
    args: [
      ...windowDims,
      dim('filters'),
      input('x', dims('n', 'c', 'h', 'w')),
      input('weights', filtersExpect),
      input('b', dims('filters')),
      output('col', colExpect),
      output('out', convOutExpect),
    ],
    returns: 'status',
    check: (where, a) => checkWindowFits(where, windowOf(a), 'filter'),
  },
  /**
   * From the forward's col: dW = Σ_n dout_n·col_nᵀ, db = Σ dout per filter, and, unless dcol and
   * dx are null, dx = col2im(Wᵀ·dout_n) with dcol [c·fh·fw, oh·ow] as one sample's scratch.
   */
  convBackward: {
    args: [
      ...windowDims,
      dim('filters'),
      input('col', colExpect),
      input('weights', filtersExpect),
      input('dout', convOutExpect),
      output('dW', filtersExpect),
      output('db', dims('filters')),
      optOut('dcol', { size: (a) => patch(a) * positions(a), text: (a) => `${patch(a)}×${positions(a)}` }),
      optOut('dx', dims('n', 'c', 'h', 'w')),
    ],
    returns: 'status',
    check: (where, a) => {
      checkWindowFits(where, windowOf(a), 'filter');
      if ((a.dcol === null) !== (a.dx === null))
        throw new Error(`${where}: expected dx and dcol both given or both null, got ${a.dx === null ? 'only dcol' : 'only dx'}`);
    },
  },
  /**
   * A network's first layers Convolution → ReLU → max pooling, backward, when nothing needs the
   * convolution's dx (its input is the data): dW and db from the input x and the pooling's output
   * `pooled`, argmax and dout (each [n, filters, ph, pw]). The same as maxPoolBackward,
   * reluBackward and convBackward (no dx) one after another, up to the order of the sums, without
   * the dense gradient of the convolution output: only the positions the pooling chose get one, and
   * ReLU blocks where the pooled value (its output there) is ≤ 0 (crate/src/conv_pool.rs).
   */
  convReluPoolBackward: {
    args: [
      ...windowDims,
      dim('filters'),
      dim('poolH'),
      dim('poolW'),
      dim('poolStride'),
      dim('poolPad'),
      input('x', dims('n', 'c', 'h', 'w')),
      input('pooled', poolOfConvExpect),
      input('argmax', poolOfConvExpect),
      input('dout', poolOfConvExpect),
      output('dW', filtersExpect),
      output('db', dims('filters')),
    ],
    returns: 'void',
    check: (where, a) => {
      checkWindowFits(where, windowOf(a), 'filter');
      checkWindowFits(where, poolOfConv(a), 'pooling window');
    },
  },
  /** out [n, c, oh, ow]: each window's first maximum (padding reads 0); argmax its index i·fw + j in the window. */
  maxPoolForward: {
    args: [...windowDims, input('x', dims('n', 'c', 'h', 'w')), output('out', pooledExpect), output('argmax', pooledExpect)],
    returns: 'void',
    check: (where, a) => checkWindowFits(where, windowOf(a), 'pooling window'),
  },
  /** dx [n, c, h, w]: each dout added at the input its window's argmax chose (an index outside the window drops it). */
  maxPoolBackward: {
    args: [...windowDims, input('dout', pooledExpect), input('argmax', pooledExpect), output('dx', dims('n', 'c', 'h', 'w'))],
    returns: 'void',
    check: (where, a) => checkWindowFits(where, windowOf(a), 'pooling window'),
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** The WASM export of a kernel, by the naming rule: `softmaxXentGrad` → `nn_softmax_xent_grad`, `gemmNN` → `nn_gemm_nn`. */
export function exportName(kernel: string): `nn_${string}` {
  return `nn_${kernel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

// ---- types that follow from the declarations ---------------------------------------------

type Spec<K extends KernelName> = (typeof KERNELS)[K];
/** The public arguments of kernel `K` (the declared ones but the `derived`), as a union. */
type PublicSpecs<K extends KernelName> = Exclude<Spec<K>['args'][number], { role: 'derived' }>;

/** A public argument's type, with `T` the tensor type. */
type PublicArg<A, T> = A extends { role: 'dim' | 'scalar' }
  ? number
  : A extends { role: 'flag'; values: readonly [infer F, infer U] }
    ? F | U
    : A extends { role: 'optOut' }
      ? T | null
      : T;
type PublicArgs<L, T> = L extends readonly [infer H, ...infer R]
  ? H extends { role: 'derived' }
    ? PublicArgs<R, T>
    : [PublicArg<H, T>, ...PublicArgs<R, T>]
  : [];

type RawArg<A> = A extends { role: 'dim' | 'scalar' | 'derived' }
  ? number
  : A extends { role: 'flag' }
    ? boolean
    : A extends { role: 'optOut' }
      ? Float32Array | null
      : Float32Array;
type RawArgs<L> = L extends readonly [infer H, ...infer R] ? (H extends { raw: false } ? RawArgs<R> : [RawArg<H>, ...RawArgs<R>]) : [];

/** A function of the given arguments that returns what kernel spec `S` returns. */
type Returning<S, P extends unknown[]> = S extends { returns: 'value' } ? (...args: P) => number : (...args: P) => void;

/** The public arguments of a call of kernel `K` by name, as the checked methods hand them over. */
export type CallArgs<K extends KernelName, T> = { readonly [A in PublicSpecs<K> as A['name']]: PublicArg<A, T> };

/** What kernel `K` returns to its caller: the value, or nothing. */
export type KernelResult<K extends KernelName> = Spec<K> extends { returns: 'value' } ? number : undefined;

/** The checked kernel methods of every `Backend` (with `T` its tensor type), typed from the contract. */
export type KernelMethods<T> = { [K in KernelName]: Returning<Spec<K>, PublicArgs<Spec<K>['args'], T>> };

/** The pure-TypeScript implementations: one function per kernel, raw arguments on Float32Arrays. */
export type TsKernels = { [K in KernelName]: Returning<Spec<K>, RawArgs<Spec<K>['args']>> };
