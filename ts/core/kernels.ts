/**
 * The kernel contract: one declaration per kernel, from which everything else follows.
 *
 * - The checked `Backend` method of the same name (ts/core/backend.ts installs one per entry): its
 *   public arguments are the entry's `args` without the `derived` ones, in order, and it checks
 *   them by their roles (ts/core/checks.ts) before anything runs.
 * - The raw call, in the order of the WASM export (`crate/src/abi.rs`): every argument but the
 *   `raw: false` ones, with `derived` values computed here (in f64) from the public ones.
 * - The TS implementation's signature (`TsKernels`, ts/backends/ts_kernels.ts): the raw call with
 *   tensors as `Float32Array`s and flags as booleans.
 * - The WASM export's name by the naming rule: `affineBackward` → `nn_affine_backward`; tensors
 *   are passed as pointers (an absent optional output as 0), flags as 0/1.
 *   test/kernels/contract.test.ts parses crate/src/abi.rs and checks every export against its entry.
 *
 * Roles: `dim` (an integer size, 0 to 2³¹ − 1), `scalar` (a hyper-parameter, finite in f32),
 * `flag` (one of two words; the second is `true`), `input`, `output` (overwritten), `inout`
 * (updated in place: an output too), `optOut` (an output that may be `null`), `derived` (raw only).
 * Every tensor declares how many elements it must hold. An output may share memory with no other
 * argument. A kernel returns nothing, a workspace `status` (0, or the bytes it could not reserve:
 * an out-of-memory Error; the TS implementation returns nothing), or a `value` (a number).
 * A kernel that returns no value is not called when all its outputs are empty.
 */
import { checkLabels } from './checks.js';
import { formatShape } from './tensor.js';
import type { Tensor } from './tensor.js';

/** The public arguments of a call, by name (the checks and `derived` values read them). */
export type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** How many elements a tensor must hold, and how an error says so (`m·k` elements, "m×k"). */
export interface Expect {
  size(a: Args): number;
  text(a: Args): string;
}

export type ArgSpec =
  | { readonly role: 'dim'; readonly name: string }
  | { readonly role: 'scalar'; readonly name: string; readonly label: string; readonly raw?: false }
  | { readonly role: 'flag'; readonly name: string; readonly values: readonly [string, string] }
  | { readonly role: 'derived'; readonly name: string; readonly value: (a: Args) => number }
  | {
      readonly role: 'input' | 'output' | 'inout' | 'optOut';
      readonly name: string;
      /** The name errors give it (default: `name`). */
      readonly label?: string | ((a: Args) => string);
      readonly expect: Expect;
      /** A check of its values (after its size), e.g. class indices. */
      readonly values?: (where: string, t: Tensor, a: Args) => void;
    };

export interface KernelSpec {
  readonly args: readonly ArgSpec[];
  readonly returns: 'void' | 'status' | 'value';
  /** A check beyond the roles, run after the dimensions, scalars and flags. */
  readonly check?: (where: string, a: Args) => void;
}

// ---- role constructors -------------------------------------------------------------------

const dim = <N extends string>(name: N) => ({ role: 'dim', name }) as const;
const scalar = <N extends string>(name: N, label: string = name) => ({ role: 'scalar', name, label }) as const;
/** A hyper-parameter of the public call that the raw call receives only through `derived` values. */
const publicScalar = <N extends string>(name: N) => ({ role: 'scalar', name, label: name, raw: false }) as const;
const flag = <N extends string, V extends readonly [string, string]>(name: N, values: V) => ({ role: 'flag', name, values }) as const;
const derived = <N extends string>(name: N, value: (a: Args) => number) => ({ role: 'derived', name, value }) as const;
type TensorOpts = { label?: string | ((a: Args) => string); values?: (where: string, t: Tensor, a: Args) => void };
const input = <N extends string>(name: N, expect: Expect, opts: TensorOpts = {}) => ({ role: 'input', name, expect, ...opts }) as const;
const output = <N extends string>(name: N, expect: Expect, opts: TensorOpts = {}) => ({ role: 'output', name, expect, ...opts }) as const;
const inout = <N extends string>(name: N, expect: Expect, opts: TensorOpts = {}) => ({ role: 'inout', name, expect, ...opts }) as const;
const optOut = <N extends string>(name: N, expect: Expect, opts: TensorOpts = {}) => ({ role: 'optOut', name, expect, ...opts }) as const;

/** A matrix (or vector) of the named dimensions: `dims('m', 'k')` → m·k elements, "m×k". */
const dims = (...names: string[]): Expect => ({
  size: (a) => names.reduce((p, n) => p * a[n], 1),
  text: (a) => names.map((n) => a[n]).join('×'),
});
/** As large as the tensor argument `name` (element-wise kernels). */
const like = (name: string): Expect => ({ size: (a) => a[name].size, text: (a) => formatShape(a[name].shape) });
/** Element count of an element-wise kernel: that of its first output. */
const sizeOf = (name: string) => derived('n', (a) => a[name].size);

// ---- shared argument lists ---------------------------------------------------------------

const gemm = (aDims: [string, string], bDims: [string, string]) =>
  ({
    args: [
      dim('m'),
      dim('k'),
      dim('n'),
      input('a', dims(...aDims), { label: 'A' }),
      input('b', dims(...bDims), { label: 'B' }),
      output('c', dims('m', 'n'), { label: 'C' }),
    ],
    returns: 'status',
  }) as const;

/** Element-wise y → dx kernels (the backward passes of activations). */
const unaryBackward = {
  args: [
    sizeOf('dx'),
    input('y', like('dx'), { label: 'input 1' }),
    input('dout', like('dx'), { label: 'input 2' }),
    output('dx', like('dx'), { label: 'output' }),
  ],
  returns: 'void',
} as const;
const unaryForward = {
  args: [sizeOf('out'), input('x', like('out'), { label: 'input 1' }), output('out', like('out'), { label: 'output' })],
  returns: 'void',
} as const;

/** The targets of a softmax-with-loss: a one-hot (or probability) matrix, or one class index per row. */
const targets = flag('targets', ['onehot', 'labels'] as const);
const targetTensor = input(
  't',
  {
    size: (a) => (a.targets === 'labels' ? a.rows : a.rows * a.cols),
    text: (a) => (a.targets === 'labels' ? `${a.rows} class indices` : `${a.rows}×${a.cols}`),
  },
  {
    label: (a) => (a.targets === 'labels' ? 't (labels)' : 't (one-hot)'),
    values: (where, t, a) => {
      if (a.targets === 'labels') checkLabels(where, t.data, a.cols);
    },
  },
);
const atLeastOneClass = (where: string, a: Args) => {
  if (a.rows > 0 && a.cols === 0)
    throw new Error(`${where}: expected cols ≥ 1 (a softmax needs at least one class), got ${a.rows} rows of 0 classes`);
};
const scores = (name: string) => input(name, dims('rows', 'cols'), { label: 'scores' });

/** An optimizer step: param and state tensors updated in place from grad. */
const param = inout('param', like('param'), { label: 'output' });
const grad = input('grad', like('param'), { label: 'input 1' });
const state = (name: string, i: number) => inout(name, like('param'), { label: `state ${i}` });

/** Output size of a convolution window sweep along one axis: ⌊(size + 2·pad − filter) / stride⌋ + 1. */
export function convOutSize(size: number, filter: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - filter) / stride) + 1;
}

/** Rows of im2col's output: one per window, n·oh·ow. */
const colRows = (a: Args) => a.n * convOutSize(a.h, a.fh, a.stride, a.pad) * convOutSize(a.w, a.fw, a.stride, a.pad);

/** The window of a convolution or pooling over x [n, c, h, w]. */
const windowDims = [dim('n'), dim('c'), dim('h'), dim('w'), dim('fh'), dim('fw'), dim('stride'), dim('pad')] as const;
const positions = (a: Args) => convOutSize(a.h, a.fh, a.stride, a.pad) * convOutSize(a.w, a.fw, a.stride, a.pad);
const patch = (a: Args) => a.c * a.fh * a.fw;
const filtersExpect: Expect = { size: (a) => a.filters * patch(a), text: (a) => `${a.filters}×${a.c}×${a.fh}×${a.fw}` };
const colExpect: Expect = { size: (a) => a.n * patch(a) * positions(a), text: (a) => `${a.n}×${patch(a)}×${positions(a)}` };
const convOutExpect: Expect = { size: (a) => a.n * a.filters * positions(a), text: (a) => `${a.n}×${a.filters}×${positions(a)}` };
const pooledExpect: Expect = { size: (a) => a.n * a.c * positions(a), text: (a) => `${a.n}×${a.c}×${positions(a)}` };
/** The window is at least 1×1, moves by ≥ 1 and fits the padded input ("a 5×5 filter with pad 0 does not fit a 4×4 input"). */
function checkWindowFits(where: string, a: Args, what: string): void {
  if (a.stride < 1) throw new Error(`${where}: expected stride ≥ 1, got ${a.stride}`);
  if (a.fh < 1 || a.fw < 1) throw new Error(`${where}: expected a ${what} of at least 1×1, got ${a.fh}×${a.fw}`);
  if (a.fh > a.h + 2 * a.pad || a.fw > a.w + 2 * a.pad)
    throw new Error(`${where}: a ${a.fh}×${a.fw} ${what} with pad ${a.pad} does not fit a ${a.h}×${a.w} input`);
}

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
    args: [dim('rows'), dim('cols'), scores('x'), targetTensor, targets, output('y', dims('rows', 'cols'), { label: 'output' })],
    returns: 'value',
    check: atLeastOneClass,
  },
  /** dx = (y − t) / rows, with y from `softmaxXent`. */
  softmaxXentBackward: {
    args: [dim('rows'), dim('cols'), scores('y'), targetTensor, targets, output('dx', dims('rows', 'cols'), { label: 'output' })],
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
      scores('x'),
      targetTensor,
      targets,
      output('y', dims('rows', 'cols'), { label: 'output' }),
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
  sgd: { args: [sizeOf('param'), scalar('lr', 'learning rate'), param, grad], returns: 'void' },
  /** target += source (gradients of a value used twice add up). */
  accumulate: {
    args: [sizeOf('target'), inout('target', like('target'), { label: 'output' }), input('source', like('target'), { label: 'input 1' })],
    returns: 'void',
  },

  // Chapter-6 optimizers: one element-wise pass each, updating `param` and the optimizer's state
  // tensors in place from `grad` (formulas in crate/src/optim.rs and ts/backends/ts_kernels.ts).
  // The constants derived from the hyper-parameters (1 − β, momentum², …) are computed here, in
  // f64, once, and both backends round them to f32 the same way: in f32, 1 − 0.999 is 1.3e-5 off.

  /** Momentum: v = momentum·v − lr·grad; param += v. */
  momentum: { args: [sizeOf('param'), scalar('lr'), scalar('momentum'), param, grad, state('v', 1)], returns: 'void' },
  /** The book's Nesterov: param += momentum²·v − (1 + momentum)·lr·grad with the old v; then v = momentum·v − lr·grad. */
  nesterov: {
    args: [
      sizeOf('param'),
      scalar('lr'),
      scalar('momentum'),
      derived('mm', (a) => a.momentum * a.momentum),
      derived('step', (a) => (1 + a.momentum) * a.lr),
      param,
      grad,
      state('v', 1),
    ],
    returns: 'void',
  },
  /** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
  adagrad: { args: [sizeOf('param'), scalar('lr'), scalar('eps'), param, grad, state('h', 1)], returns: 'void' },
  /** RMSprop: h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps). */
  rmsprop: {
    args: [sizeOf('param'), scalar('lr'), scalar('decay'), derived('keep', (a) => 1 - a.decay), scalar('eps'), param, grad, state('h', 1)],
    returns: 'void',
  },
  /** Adam: m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v); param −= lrT·m / (√v + eps), lrT bias-corrected by the caller. */
  adam: {
    args: [
      sizeOf('param'),
      scalar('lrT'),
      publicScalar('beta1'),
      publicScalar('beta2'),
      derived('k1', (a) => 1 - a.beta1),
      derived('k2', (a) => 1 - a.beta2),
      scalar('eps'),
      param,
      grad,
      state('m', 1),
      state('v', 2),
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

  // Chapter 7.

  /**
   * im2col: the windows of x [n, c, h, w] (a filter fh×fw moved by `stride` over x padded with
   * `pad` zeros on every side) as the rows of col [n·oh·ow, c·fh·fw], in the book's layout: row
   * (img, oy, ox), column (channel, fy, fx). oh = ⌊(h + 2·pad − fh) / stride⌋ + 1, ow likewise.
   */
  im2col: {
    args: [
      dim('n'),
      dim('c'),
      dim('h'),
      dim('w'),
      dim('fh'),
      dim('fw'),
      dim('stride'),
      dim('pad'),
      input('x', dims('n', 'c', 'h', 'w')),
      output('col', {
        size: (a) => colRows(a) * a.c * a.fh * a.fw,
        text: (a) => `${colRows(a)}×${a.c * a.fh * a.fw}`,
      }),
    ],
    returns: 'void',
    check: (where, a) => {
      if (a.fh < 1 || a.fw < 1 || a.stride < 1)
        throw new Error(`${where}: expected fh, fw and stride ≥ 1, got fh ${a.fh}, fw ${a.fw}, stride ${a.stride}`);
      if (a.h + 2 * a.pad < a.fh || a.w + 2 * a.pad < a.fw) {
        throw new Error(
          `${where}: expected the ${a.fh}×${a.fw} filter to fit the padded ${a.h + 2 * a.pad}×${a.w + 2 * a.pad} input (h, w = ${a.h}, ${a.w}, pad ${a.pad})`,
        );
      }
    },
  },

  // Chapter 7: the convolution as im2col + GEMM, one sample at a time, and max pooling
  // (crate/src/conv.rs, crate/src/pool.rs, ts/backends/ts_conv.ts). A sample's columns are
  // [c·fh·fw, oh·ow] here (the transpose of im2col's rows), so W·col lands directly in NCHW.

  /** col [n, c·fh·fw, oh·ow] (kept for the backward) and out [n, filters, oh, ow] = W·col_n + b. */
  convForward: {
    args: [
      ...windowDims,
      dim('filters'),
      input('x', dims('n', 'c', 'h', 'w')),
      input('weights', filtersExpect, { label: 'W' }),
      input('b', dims('filters')),
      output('col', colExpect),
      output('out', convOutExpect),
    ],
    returns: 'status',
    check: (where, a) => checkWindowFits(where, a, 'filter'),
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
      input('weights', filtersExpect, { label: 'W' }),
      input('dout', convOutExpect),
      output('dW', filtersExpect),
      output('db', dims('filters')),
      optOut('dcol', { size: (a) => patch(a) * positions(a), text: (a) => `${patch(a)}×${positions(a)}` }),
      optOut('dx', dims('n', 'c', 'h', 'w')),
    ],
    returns: 'status',
    check: (where, a) => {
      checkWindowFits(where, a, 'filter');
      if ((a.dcol === null) !== (a.dx === null))
        throw new Error(`${where}: expected dx and dcol both given or both null, got ${a.dx === null ? 'only dcol' : 'only dx'}`);
    },
  },
  /** out [n, c, oh, ow]: each window's first maximum (padding reads 0); argmax its index i·fw + j in the window. */
  maxPoolForward: {
    args: [...windowDims, input('x', dims('n', 'c', 'h', 'w')), output('out', pooledExpect), output('argmax', pooledExpect)],
    returns: 'void',
    check: (where, a) => checkWindowFits(where, a, 'pooling window'),
  },
  /** dx [n, c, h, w]: each dout added at the input its window's argmax chose (an index outside the window drops it). */
  maxPoolBackward: {
    args: [...windowDims, input('dout', pooledExpect), input('argmax', pooledExpect), output('dx', dims('n', 'c', 'h', 'w'))],
    returns: 'void',
    check: (where, a) => checkWindowFits(where, a, 'pooling window'),
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** The WASM export of a kernel, by the naming rule: `softmaxXentGrad` → `nn_softmax_xent_grad`, `gemmNN` → `nn_gemm_nn`. */
export function exportName(kernel: string): `nn_${string}` {
  return `nn_${kernel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

// ---- types that follow from the declarations ---------------------------------------------

type PublicArg<A> = A extends { role: 'dim' | 'scalar' }
  ? number
  : A extends { role: 'flag'; values: readonly [infer F, infer T] }
    ? F | T
    : A extends { role: 'optOut' }
      ? Tensor | null
      : Tensor;
type PublicArgs<L> = L extends readonly [infer H, ...infer T]
  ? H extends { role: 'derived' }
    ? PublicArgs<T>
    : [PublicArg<H>, ...PublicArgs<T>]
  : [];

type RawArg<A> = A extends { role: 'dim' | 'scalar' | 'derived' }
  ? number
  : A extends { role: 'flag' }
    ? boolean
    : A extends { role: 'optOut' }
      ? Float32Array | null
      : Float32Array;
type RawArgs<L> = L extends readonly [infer H, ...infer T] ? (H extends { raw: false } ? RawArgs<T> : [RawArg<H>, ...RawArgs<T>]) : [];

type Returns<S> = S extends { returns: 'value' } ? number : void;

/** The checked kernel methods of every `Backend`, typed from the contract. */
export type KernelMethods = { [K in KernelName]: (...args: PublicArgs<(typeof KERNELS)[K]['args']>) => Returns<(typeof KERNELS)[K]> };

/** The pure-TypeScript implementations: one function per kernel, raw arguments on Float32Arrays. */
export type TsKernels = { [K in KernelName]: (...args: RawArgs<(typeof KERNELS)[K]['args']>) => Returns<(typeof KERNELS)[K]> };
