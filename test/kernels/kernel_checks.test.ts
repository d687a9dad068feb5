// Every argument check of every kernel in ts/core/backend.ts, table-driven: each tensor argument in
// turn is replaced by a tensor of the wrong size, a non-tensor, a disposed tensor and a tensor of
// another backend, and each output in turn is made to share memory with each other argument. The
// error must name the kernel and the argument, no kernel may run (the outputs keep their NaN
// sentinels), and the backend must stay usable. Removing any single check fails a case here.
import { describe, expect, it } from 'vitest';
import { createBackend, type Backend, type Tensor } from '../../ts/index.js';
import { allBackends } from '../helpers/backends.js';

const backends = await allBackends();
const other = await createBackend('ts');

interface KernelCase {
  kernel: string;
  /** Argument names as the errors give them, in call order; every tensor has `size` elements. */
  args: string[];
  /** Which of them the kernel writes. */
  outputs: string[];
  /** Elements of every tensor of the call (default 2). */
  size?: number;
  /** Hyper-parameters the kernel takes before its tensors, each of which must be finite. */
  hyper?: string[];
  call(b: Backend, t: Tensor[], hyper: number[]): unknown;
}

// Dimensions are chosen so that every tensor of a call has the same size (`size`): then any argument can stand in for any other, so the aliasing checks
// are reachable past the size checks.
/** A 1×1 window over a 1×1×1×1 input: n, c, h, w, fh, fw, stride, pad. */
const UNIT = [1, 1, 1, 1, 1, 1, 1, 0] as const;
const KERNELS: KernelCase[] = [
  { kernel: 'gemmNN', args: ['A', 'B', 'C'], outputs: ['C'], size: 1, call: (b, [a, bb, c]) => b.gemmNN(1, 1, 1, a, bb, c) },
  { kernel: 'gemmNT', args: ['A', 'B', 'C'], outputs: ['C'], size: 1, call: (b, [a, bb, c]) => b.gemmNT(1, 1, 1, a, bb, c) },
  { kernel: 'gemmTN', args: ['A', 'B', 'C'], outputs: ['C'], size: 1, call: (b, [a, bb, c]) => b.gemmTN(1, 1, 1, a, bb, c) },
  { kernel: 'addBias', args: ['x', 'b'], outputs: ['x'], call: (b, [x, bias]) => b.addBias(1, 2, x, bias) },
  { kernel: 'colSum', args: ['x', 'out'], outputs: ['out'], call: (b, [x, out]) => b.colSum(1, 2, x, out) },
  { kernel: 'reluForward', args: ['input 1', 'output'], outputs: ['output'], call: (b, [x, out]) => b.reluForward(x, out) },
  {
    kernel: 'reluBackward',
    args: ['input 1', 'input 2', 'output'],
    outputs: ['output'],
    call: (b, [y, d, dx]) => b.reluBackward(y, d, dx),
  },
  { kernel: 'sigmoidForward', args: ['input 1', 'output'], outputs: ['output'], call: (b, [x, out]) => b.sigmoidForward(x, out) },
  {
    kernel: 'sigmoidBackward',
    args: ['input 1', 'input 2', 'output'],
    outputs: ['output'],
    call: (b, [y, d, dx]) => b.sigmoidBackward(y, d, dx),
  },
  {
    kernel: 'softmaxXent',
    args: ['scores', 't (one-hot)', 'output'],
    outputs: ['output'],
    call: (b, [x, t, y]) => b.softmaxXent(1, 2, x, t, 'onehot', y),
  },
  {
    kernel: 'softmaxXent',
    args: ['scores', 't (labels)', 'output'],
    outputs: ['output'],
    call: (b, [x, t, y]) => b.softmaxXent(1, 1, x, t, 'labels', y),
  },
  {
    kernel: 'softmaxXentBackward',
    args: ['scores', 't (one-hot)', 'output'],
    outputs: ['output'],
    call: (b, [y, t, dx]) => b.softmaxXentBackward(1, 2, y, t, 'onehot', dx),
  },
  {
    kernel: 'softmaxXentBackward',
    args: ['scores', 't (labels)', 'output'],
    outputs: ['output'],
    call: (b, [y, t, dx]) => b.softmaxXentBackward(1, 1, y, t, 'labels', dx),
  },
  {
    kernel: 'softmaxXentGrad',
    args: ['scores', 't (one-hot)', 'output', 'dx'],
    outputs: ['output', 'dx'],
    call: (b, [x, t, y, dx]) => b.softmaxXentGrad(1, 2, x, t, 'onehot', y, dx),
  },
  {
    kernel: 'softmaxXentGrad',
    args: ['scores', 't (labels)', 'output', 'dx'],
    outputs: ['output', 'dx'],
    call: (b, [x, t, y, dx]) => b.softmaxXentGrad(1, 1, x, t, 'labels', y, dx),
  },
  {
    kernel: 'affineForward',
    args: ['x', 'W', 'b', 'out'],
    outputs: ['out'],
    size: 1,
    call: (b, [x, W, bias, out]) => b.affineForward(1, 1, 1, x, W, bias, out),
  },
  {
    kernel: 'affineBackward',
    args: ['x', 'W', 'dout', 'dW', 'db', 'dx'],
    outputs: ['dW', 'db', 'dx'],
    size: 1,
    call: (b, [x, W, d, dW, db, dx]) => b.affineBackward(1, 1, 1, x, W, d, dW, db, dx),
  },
  { kernel: 'sgd', args: ['input 1', 'output'], outputs: ['output'], hyper: ['learning rate'], call: (b, [g, p], [lr]) => b.sgd(lr, p, g) },
  { kernel: 'accumulate', args: ['input 1', 'output'], outputs: ['output'], call: (b, [s, t]) => b.accumulate(t, s) },
  {
    kernel: 'momentum',
    args: ['input 1', 'output', 'state 1'],
    outputs: ['output', 'state 1'],
    hyper: ['lr', 'momentum'],
    call: (b, [g, p, v], [lr, m]) => b.momentum(lr, m, p, g, v),
  },
  {
    kernel: 'nesterov',
    args: ['input 1', 'output', 'state 1'],
    outputs: ['output', 'state 1'],
    hyper: ['lr', 'momentum'],
    call: (b, [g, p, v], [lr, m]) => b.nesterov(lr, m, p, g, v),
  },
  {
    kernel: 'adagrad',
    args: ['input 1', 'output', 'state 1'],
    outputs: ['output', 'state 1'],
    hyper: ['lr', 'eps'],
    call: (b, [g, p, h], [lr, eps]) => b.adagrad(lr, eps, p, g, h),
  },
  {
    kernel: 'rmsprop',
    args: ['input 1', 'output', 'state 1'],
    outputs: ['output', 'state 1'],
    hyper: ['lr', 'decay', 'eps'],
    call: (b, [g, p, h], [lr, d, eps]) => b.rmsprop(lr, d, eps, p, g, h),
  },
  {
    kernel: 'adam',
    args: ['input 1', 'output', 'state 1', 'state 2'],
    outputs: ['output', 'state 1', 'state 2'],
    hyper: ['lrT', 'beta1', 'beta2', 'eps'],
    call: (b, [g, p, m, v], h) => b.adam(h[0], h[1], h[2], h[3], p, g, m, v),
  },
  {
    kernel: 'batchNormForwardTrain',
    args: ['x', 'gamma', 'beta', 'runningMean', 'runningVar', 'xn', 'invStd', 'out'],
    outputs: ['runningMean', 'runningVar', 'xn', 'invStd', 'out'],
    hyper: ['momentum'],
    call: (b, [x, g, be, rm, rv, xn, inv, out], [m]) => b.batchNormForwardTrain(1, 2, m, x, g, be, rm, rv, xn, inv, out),
  },
  {
    kernel: 'batchNormForwardTest',
    args: ['x', 'gamma', 'beta', 'runningMean', 'runningVar', 'out'],
    outputs: ['out'],
    call: (b, [x, g, be, rm, rv, out]) => b.batchNormForwardTest(1, 2, x, g, be, rm, rv, out),
  },
  {
    kernel: 'batchNormBackward',
    args: ['dout', 'xn', 'invStd', 'gamma', 'dgamma', 'dbeta', 'dx'],
    outputs: ['dgamma', 'dbeta', 'dx'],
    call: (b, [d, xn, inv, g, dg, db, dx]) => b.batchNormBackward(1, 2, d, xn, inv, g, dg, db, dx),
  },
  { kernel: 'applyMask', args: ['x', 'mask', 'out'], outputs: ['out'], call: (b, [x, mask, out]) => b.applyMask(x, mask, out) },
  { kernel: 'scale', args: ['x', 'out'], outputs: ['out'], hyper: ['s'], call: (b, [x, out], [s]) => b.scale(s, x, out) },
  { kernel: 'im2col', args: ['x', 'col'], outputs: ['col'], call: (b, [x, col]) => b.im2col(1, 1, 1, 2, 1, 1, 1, 0, x, col) },
  // chapter 7: a 1×1 window over a 1×1×1×1 input, so every tensor holds one element
  {
    kernel: 'convForward',
    args: ['x', 'W', 'b', 'col', 'out'],
    outputs: ['col', 'out'],
    size: 1,
    call: (b, [x, W, bias, col, out]) => b.convForward(...UNIT, 1, x, W, bias, col, out),
  },
  {
    kernel: 'convBackward',
    args: ['col', 'W', 'dout', 'dW', 'db', 'dcol', 'dx'],
    outputs: ['dW', 'db', 'dcol', 'dx'],
    size: 1,
    call: (b, [col, W, d, dW, db, dcol, dx]) => b.convBackward(...UNIT, 1, col, W, d, dW, db, dcol, dx),
  },
  {
    kernel: 'maxPoolForward',
    args: ['x', 'out', 'argmax'],
    outputs: ['out', 'argmax'],
    size: 1,
    call: (b, [x, out, arg]) => b.maxPoolForward(...UNIT, x, out, arg),
  },
  {
    kernel: 'maxPoolBackward',
    args: ['dout', 'argmax', 'dx'],
    outputs: ['dx'],
    size: 1,
    call: (b, [d, arg, dx]) => b.maxPoolBackward(...UNIT, d, arg, dx),
  },
];

const sizeOf = (c: KernelCase) => c.size ?? (c.args.includes('t (labels)') ? 1 : 2);

describe.each(backends.map((b) => [b.name, b] as const))('every kernel check on %s', (_name, backend: Backend) => {
  /** Fresh tensors for a valid call: inputs zero (labels 0), outputs NaN. */
  function tensorsFor(c: KernelCase): Tensor[] {
    return c.args.map((arg) => {
      const t = backend.zeros([sizeOf(c)]);
      if (c.outputs.includes(arg)) t.data.fill(NaN);
      return t;
    });
  }
  const hyperFor = (c: KernelCase) => (c.hyper ?? []).map(() => 0.5);
  /** Runs `c` with `args`, expects `message`, and checks no output was written. */
  function refused(c: KernelCase, args: Tensor[], message: string, hyper = hyperFor(c)): void {
    const where = `${backend.name}.${c.kernel}: `;
    expect(() => c.call(backend, args, hyper)).toThrow(where);
    expect(() => c.call(backend, args, hyper)).toThrow(message);
    c.args.forEach((arg, i) => {
      if (c.outputs.includes(arg) && args[i]?.backend === backend && !args[i].disposed) {
        expect(args[i].data.every(Number.isNaN), `${c.kernel}: ${arg} was written`).toBe(true);
      }
    });
  }

  it.each(KERNELS.map((c) => [`${c.kernel}(${c.args.join(', ')})`, c] as const))('%s', (_label, c) => {
    const valid = tensorsFor(c);
    c.call(backend, valid, hyperFor(c)); // the unchanged call is accepted
    c.args.forEach((arg, i) => {
      const swap = (t: unknown) => valid.map((v, j) => (j === i ? t : tensorsFor(c)[j])) as Tensor[];
      // (an element-wise kernel measures its inputs against the output, so a wrong-sized output
      // is reported through the first input: only "to hold" is certain)
      refused(
        c,
        swap(withNaN(backend.zeros([sizeOf(c) + 1]), c.outputs.includes(arg))),
        c.outputs.includes(arg) ? 'to hold' : `expected ${arg} to hold`,
      );
      refused(c, swap(undefined), `expected ${arg} to be a Tensor, got undefined`);
      const dead = backend.zeros([sizeOf(c)]);
      dead.dispose();
      refused(c, swap(dead), `${arg} (shape [${sizeOf(c)}]) was disposed`);
      refused(c, swap(other.zeros([sizeOf(c)])), `${arg} belongs to backend 'ts', not to this '${backend.name}' backend instance`);
    });
    // Each output against each other argument, through a reshaped view of the same storage.
    for (const out of c.outputs) {
      const o = c.args.indexOf(out);
      c.args.forEach((arg, i) => {
        if (i === o) return;
        const args = tensorsFor(c);
        args[o] = args[i].reshape([sizeOf(c), 1]).reshape([sizeOf(c)]);
        expect(() => c.call(backend, args, hyperFor(c)), `${c.kernel}: ${out} sharing ${arg}`).toThrow(
          `${backend.name}.${c.kernel}: the output must not share memory with`,
        );
      });
    }
    (c.hyper ?? []).forEach((name, i) => {
      const hyper = hyperFor(c);
      hyper[i] = NaN;
      refused(c, tensorsFor(c), `expected a finite ${name}, got NaN`, hyper);
    });
  });

  it('labels must be class indices, targets a known kind, and the backend still works after all of it', () => {
    const [x, y] = [backend.zeros([2, 3]), backend.zeros([2, 3])];
    expect(() => backend.softmaxXent(2, 3, x, backend.tensor([0, 3], [2]), 'labels', y)).toThrow('found 3 at row 1');
    expect(() => backend.softmaxXentBackward(2, 3, x, backend.tensor([-1, 0], [2]), 'labels', y)).toThrow('found -1 at row 0');
    expect(() => backend.softmaxXentGrad(2, 3, x, backend.zeros([2, 3]), 'probabilities' as never, y, backend.zeros([2, 3]))).toThrow(
      "expected targets 'onehot' or 'labels', got probabilities",
    );
    const c = backend.zeros([1, 1]);
    backend.gemmNN(1, 2, 1, backend.tensor([1, 2], [1, 2]), backend.tensor([3, 4], [2, 1]), c);
    expect(c.data[0]).toBe(11);
  });
});

function withNaN(t: Tensor, isOutput: boolean): Tensor {
  if (isOutput) t.data.fill(NaN);
  return t;
}
