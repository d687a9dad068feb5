import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { Affine, createBackend, Relu, SGD, Sigmoid, SoftmaxWithLoss, Tensor, TwoLayerNet, type Backend } from '../../ts/index.js';
import { allBackends } from '../helpers/backends.js';

const backends = await allBackends();

describe.each(backends.map((b) => [b.name, b] as const))('bad input on %s gets a readable error', (_name, backend: Backend) => {
  it('tensor(): wrong counts, ragged arrays, non-finite values, bad shapes', () => {
    expect(() => backend.tensor([1, 2, 3], [2, 2])).toThrow(`${backend.name}.tensor: expected 4 values for the shape, got 3`);
    expect(() => backend.tensor([[1, 2], [3]])).toThrow('expected values[1] to have length 2, got 1');
    expect(() => backend.tensor([1, NaN], [2])).toThrow('expected finite numbers, found NaN at index 1');
    expect(() => backend.tensor([[1, Infinity]])).toThrow('found Infinity at index [0][1]');
    expect(() => backend.zeros([2, -1])).toThrow('expected dimensions to be integers from 0 to 2³¹ − 1, got shape [2, -1]');
    expect(() => backend.tensor([1], [-1])).toThrow(
      `${backend.name}.tensor: expected dimensions to be integers from 0 to 2³¹ − 1, got shape [-1]`,
    );
    expect(() => backend.tensor([1, 2], [2]).reshape([3])).toThrow('cannot view 2 elements of shape [2] as shape [3]');
    expect(backend.memoryStats().liveTensors).toBeGreaterThanOrEqual(1); // the failed tensor() calls freed what they took
  });

  it('kernels: sizes, aliasing and label ranges are checked before any kernel runs', () => {
    const a = backend.zeros([2, 3]);
    const b = backend.zeros([4, 2]);
    const c = backend.zeros([2, 2]);
    expect(() => backend.gemmNN(2, 3, 2, a, b, c)).toThrow(
      `${backend.name}.gemmNN: expected B to hold 3×2 = 6 elements, got shape [4, 2] (8 elements)`,
    );
    const sq = backend.zeros([2, 2]);
    expect(() => backend.gemmNN(2, 2, 2, sq, sq.reshape([4]).reshape([2, 2]), sq)).toThrow(
      'must not share memory with an input (an output of shape [2, 2] and an input of shape [2, 2] use the same storage)',
    );
    expect(() => backend.gemmNN(2.5, 3, 2, a, b, c)).toThrow('expected m to be an integer from 0 to 2147483647, got 2.5');
    const x = backend.zeros([2, 3]);
    const y = backend.zeros([2, 3]);
    expect(() => backend.softmaxXent(2, 3, x, backend.tensor([0, 3], [2]), 'labels', y)).toThrow(
      'expected class indices (integers in 0..2), found 3 at row 1',
    );
    expect(() => backend.softmaxXent(2, 3, x, backend.tensor([0, 0.5], [2]), 'labels', y)).toThrow('found 0.5 at row 1');
    expect(() => backend.sgd(NaN, a, x)).toThrow('expected a finite lr, got NaN');
  });

  it('fused kernels: sizes, aliasing between outputs, labels', () => {
    const [x, W, out] = [backend.zeros([2, 3]), backend.zeros([3, 4]), backend.zeros([2, 4])];
    expect(() => backend.affineForward(2, 3, 4, x, W, backend.zeros([3]), out)).toThrow(
      `${backend.name}.affineForward: expected b to hold 4 = 4 elements, got shape [3] (3 elements)`,
    );
    const [dW, db, dx] = [backend.zeros([3, 4]), backend.zeros([4]), backend.zeros([2, 3])];
    expect(() => backend.affineBackward(2, 3, 4, x, W, out, dW, db, null)).not.toThrow(); // null: no dx wanted
    expect(() => backend.affineBackward(2, 3, 4, x, W, out, dW, db, x)).toThrow(
      `${backend.name}.affineBackward: the output must not share memory with an input`,
    );
    expect(() => backend.affineBackward(2, 3, 4, x, W, out, dW, dW.reshape([12]).reshape([3, 4]) as never, dx)).toThrow(
      'expected db to hold 4 = 4 elements',
    );
    // m = k = n = 4: dW and dx have the same size, so only the aliasing check can catch this.
    const [x4, W4, d4, dW4, db4] = [
      backend.zeros([4, 4]),
      backend.zeros([4, 4]),
      backend.zeros([4, 4]),
      backend.zeros([4, 4]),
      backend.zeros([4]),
    ];
    expect(() => backend.affineBackward(4, 4, 4, x4, W4, d4, dW4, db4, dW4.reshape([4, 4]))).toThrow(
      'the output must not share memory with another output (an output of shape [4, 4] and another output of shape [4, 4] use the same storage)',
    );
    const s = backend.zeros([2, 3]);
    expect(() => backend.softmaxXentGrad(2, 3, x, backend.tensor([0, 3], [2]), 'labels', s, backend.zeros([2, 3]))).toThrow(
      `${backend.name}.softmaxXentGrad: expected class indices (integers in 0..2), found 3 at row 1`,
    );
    expect(() => backend.softmaxXentGrad(2, 3, x, backend.tensor([0, 1], [2]), 'labels', s, s)).toThrow(
      'must not share memory with another output',
    );
  });

  it('huge dimensions: every dimension is an integer in [0, 2³¹ − 1], and nothing loops for ever on 0 = 0 × 1e15', () => {
    const e = () => backend.zeros([0]);
    const dim = (name: string, d: number) => `expected ${name} to be an integer from 0 to 2147483647, got ${d}`;
    expect(() => backend.colSum(1e15, 0, e(), e())).toThrow(`${backend.name}.colSum: ${dim('rows', 1e15)}`);
    expect(() => backend.addBias(1e15, 0, e(), e())).toThrow(`${backend.name}.addBias: ${dim('rows', 1e15)}`);
    expect(() => backend.gemmTN(0, 1e15, 0, e(), e(), e())).toThrow(`${backend.name}.gemmTN: ${dim('k', 1e15)}`);
    expect(() => backend.gemmNN(0, 2 ** 31, 0, e(), e(), e())).toThrow(dim('k', 2 ** 31));
    expect(() => backend.affineBackward(1e15, 0, 0, e(), e(), e(), e(), e(), e())).toThrow(
      `${backend.name}.affineBackward: ${dim('m', 1e15)}`,
    );
    expect(() => backend.affineForward(0, 0, Infinity, e(), e(), e(), e())).toThrow(dim('n', Infinity));
    expect(() => backend.softmaxXentGrad(1e15, 0, e(), e(), 'onehot', e(), e())).toThrow(
      `${backend.name}.softmaxXentGrad: ${dim('rows', 1e15)}`,
    );
    expect(() => backend.softmaxXentBackward(1e15, 0, e(), e(), 'onehot', e())).toThrow(dim('rows', 1e15));
    // At the largest dimension there is no work when the other one is 0: returns at once.
    const max = 2 ** 31 - 1;
    backend.colSum(max, 0, e(), e());
    backend.addBias(max, 0, e(), e());
    backend.gemmTN(0, max, 0, e(), e(), e());
    backend.gemmNN(max, 0, 0, e(), e(), e());
    backend.affineForward(max, 0, 0, e(), e(), e(), e());
    backend.affineBackward(max, 0, 0, e(), e(), e(), e(), e(), e());
    backend.affineBackward(max, 0, 0, e(), e(), e(), e(), e(), null);
    // A softmax over 0 classes has no answer: refused instead of looping over the rows.
    expect(() => backend.softmaxXentGrad(max, 0, e(), e(), 'onehot', e(), e())).toThrow(
      `${backend.name}.softmaxXentGrad: expected cols ≥ 1 (a softmax needs at least one class), got 2147483647 rows of 0 classes`,
    );
    expect(() => backend.softmaxXent(3, 0, e(), e(), 'onehot', e())).toThrow('got 3 rows of 0 classes');
    expect(() => backend.softmaxXentBackward(max, 0, e(), e(), 'onehot', e())).toThrow('a softmax needs at least one class');
  });

  it('shapes: too many elements is the same clear error on every backend', () => {
    expect(() => backend.zeros([1e6, 1e6])).toThrow(
      `${backend.name}.zeros: shape [1000000, 1000000] has 1000000000000 elements (4000000000000 bytes), more than this backend can hold: `,
    );
    expect(() => backend.zeros([2 ** 31])).toThrow(
      `${backend.name}.zeros: expected dimensions to be integers from 0 to 2³¹ − 1, got shape [2147483648]`,
    );
    expect(() => backend.tensor([], [0, 2 ** 40])).toThrow('got shape [0, 1099511627776]');
    expect(() => backend.zeros([2, 3]).reshape([2 ** 32, 0])).toThrow('Tensor.reshape: expected dimensions to be integers');
    expect(backend.zeros([0, 2 ** 31 - 1]).size).toBe(0);
  });

  it('a tensor cannot be forged from another one’s storage', () => {
    const small = backend.zeros([4]);
    const Forge = Tensor as unknown as new (...args: unknown[]) => Tensor;
    expect(() => new Forge(backend, [1024], (small as unknown as { storage: unknown }).storage, false)).toThrow(
      'new Tensor(): tensors are made by backend.tensor(values, shape), backend.zeros(shape) or tensor.reshape(shape)',
    );
    expect(() => new Forge(backend, [4], (small as unknown as { storage: unknown }).storage, false, Symbol('Tensor.construct'))).toThrow(
      'new Tensor(): tensors are made by',
    );
    expect(() => small.reshape([1024])).toThrow('cannot view 4 elements of shape [4] as shape [1024]');
    expect(small.reshape([2, 2]).shape).toEqual([2, 2]);
  });

  it('checks no other test pins: softmaxXentGrad’s dx size, aliasing of one-element outputs', () => {
    const [x, t, y] = [backend.zeros([2, 3]), backend.tensor([0, 1], [2]), backend.zeros([2, 3])];
    expect(() => backend.softmaxXentGrad(2, 3, x, t, 'labels', y, backend.zeros([5]))).toThrow(
      `${backend.name}.softmaxXentGrad: expected dx to hold 2×3 = 6 elements, got shape [5] (5 elements)`,
    );
    const one = backend.tensor([-1], [1]);
    expect(() => backend.reluForward(one, one)).toThrow(
      `${backend.name}.reluForward: the output must not share memory with an input (an output of shape [1] and an input of shape [1] use the same storage)`,
    );
    expect(() => backend.sigmoidForward(one, one.reshape([1, 1]))).toThrow('must not share memory with an input');
    expect(() => backend.sgd(0.1, one, one)).toThrow(`${backend.name}.sgd: the output must not share memory with an input`);
    expect(one.data[0]).toBe(-1); // refused before any kernel ran
    // Empty tensors hold no memory, so "sharing" one is harmless and allowed.
    const empty = backend.zeros([0]);
    expect(() => backend.reluForward(empty, empty)).not.toThrow();
  });

  it('layers: wrong shapes, wrong targets, backward before forward', () => {
    const affine = new Affine(backend.zeros([784, 50]), backend.zeros([50]));
    expect(() => affine.forward(backend.zeros([100, 780]))).toThrow(
      'Affine.forward: x has 780 features per row (shape [100, 780]) but W expects 784 (W shape [784, 50])',
    );
    expect(() => affine.forward(backend.zeros([784]))).toThrow('expected x of shape [batch, ...] with 784 features per row, got [784]');
    expect(() => new Affine(backend.zeros([3, 2]), backend.zeros([3]))).toThrow('expected b of shape [2] to match W [3, 2], got [3]');
    expect(() => new Relu().backward(backend.zeros([1]))).toThrow('Relu.backward: backward() was called before forward()');
    const sigmoid = new Sigmoid();
    sigmoid.forward(backend.zeros([2, 2]));
    expect(() => sigmoid.backward(backend.zeros([2, 3]))).toThrow(
      'Sigmoid.backward: expected dout of shape [2, 2] (the forward output), got [2, 3]',
    );
    const loss = new SoftmaxWithLoss();
    expect(() => loss.backward()).toThrow('SoftmaxWithLoss.backward: backward() was called before forward()');
    expect(() => loss.forward(backend.zeros([4, 10]), backend.zeros([4, 9]))).toThrow(
      'SoftmaxWithLoss.forward: expected targets t of shape [4, 10] (one-hot) or [4] (class indices), got [4, 9]',
    );
    expect(() => loss.forward(backend.zeros([4, 10]), backend.tensor([1, 2, 10, 0], [4]))).toThrow('found 10 at row 2');
  });

  it('a NaN that reaches the loss is reported with its position', () => {
    const x = backend.zeros([2, 3]);
    x.data[4] = NaN;
    expect(() => new SoftmaxWithLoss().forward(x, backend.tensor([0, 1], [2]))).toThrow(
      'SoftmaxWithLoss.forward: the loss is NaN; x holds NaN at flat index 4 (shape [2, 3])',
    );
  });

  it('nets and optimisers: bad sizes and mismatched gradients', () => {
    expect(() => new TwoLayerNet(backend, 784, 0, 10)).toThrow('new TwoLayerNet: expected hiddenSize to be a positive integer, got 0');
    expect(() => new SGD({ lr: -1 })).toThrow('expected a positive learning rate, got -1');
    const net = new TwoLayerNet(backend, 4, 3, 2);
    expect(() => new SGD().update(net.params, { W9: backend.zeros([1]) })).toThrow(
      "SGD.update: grads has 'W9' but params does not (params: W1, b1, W2, b2)",
    );
    expect(() => new SGD().update(net.params, { W1: backend.zeros([3, 4]) })).toThrow(
      "SGD.update: params['W1'] has shape [4, 3] but its gradient has [3, 4]",
    );
    expect(() => new SGD().update(net.params, { W1: backend.zeros([5]) })).toThrow(
      "SGD.update: params['W1'] has shape [4, 3] but its gradient has [5]",
    );
    net.dispose();
  });
});

it('the published types keep Tensor internals out: no constructor arguments, storage or release', () => {
  // The declarations as scripts/build.sh emits them (tsconfig.build.json, which strips @internal).
  const { compilerOptions } = JSON.parse(readFileSync('tsconfig.build.json', 'utf8'));
  const declarations = (file: string) =>
    ts.transpileDeclaration(readFileSync(file, 'utf8'), { compilerOptions: { stripInternal: compilerOptions.stripInternal } }).outputText;
  // Tensor lives in ts/core/backend.ts with the Backend that owns it (ts/core/tensor.ts re-exports it).
  const core = declarations('ts/core/backend.ts');
  expect(core).toContain('private constructor();');
  expect(core).not.toMatch(/get storage|createTensor|release\(/);
  expect(core).toContain('reshape(shape: readonly number[]): Tensor;');
  expect(declarations('ts/core/tensor.ts')).not.toMatch(/createTensor/);
});

it('tensors cannot be mixed across backends', async () => {
  const [a, b] = [await createBackend('ts'), await createBackend('wasm')];
  const x = a.zeros([2]);
  expect(() => b.reluForward(x, b.zeros([2]))).toThrow(
    `${b.name}.reluForward: x belongs to backend 'ts', not to this '${b.name}' backend instance`,
  );
  expect(() => new Affine(a.zeros([2, 2]), b.zeros([2]))).toThrow("new Affine(W, b): W is on backend 'ts' but b is on");
});

it('createBackend rejects unknown kinds and variants', async () => {
  await expect(createBackend('gpu' as 'ts')).rejects.toThrow(`createBackend: expected 'wasm' or 'ts', got "gpu"`);
  await expect(createBackend('wasm', { variant: 'avx' as 'scalar' })).rejects.toThrow(
    "expected variant 'auto', 'relaxed-simd', 'simd128' or 'scalar', got \"avx\"",
  );
});
