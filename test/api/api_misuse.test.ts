// Plain-JavaScript misuse of every public entry point: each call passes a value of the wrong
// kind (no types to stop it) and must get an Error that names the call, what it expected and
// what it found — never a raw TypeError from deep inside — and leave the backend usable.
import { describe, expect, it } from 'vitest';
import {
  Adam,
  Affine,
  createBackend,
  graphFromNet,
  Momentum,
  Relu,
  Sequential,
  SGD,
  Sigmoid,
  SoftmaxWithLoss,
  TwoLayerNet,
  type Backend,
  type Tensor,
} from '../../ts/index.js';
import { explainStep, toDot, toSvg } from '../../ts/render/index.js';
import { allBackends } from '../helpers/backends.js';

const backends = await allBackends();

/** Lets a test pass what TypeScript would refuse, as a JavaScript caller can. */
const any = (v: unknown) => v as never;

type Misuse = [call: string, run: (b: Backend) => unknown, message: string];

const MISUSES: Misuse[] = [
  [
    'Affine.forward(null)',
    (b) => new Affine(b.zeros([3, 2]), b.zeros([2])).forward(any(null)),
    'Affine.forward: expected x to be a Tensor, got null',
  ],
  [
    'Affine.backward({})',
    (b) => new Affine(b.zeros([3, 2]), b.zeros([2])).backward(any({})),
    'Affine.backward: expected dout to be a Tensor, got Object',
  ],
  [
    'new Affine(W, [1, 2])',
    (b) => new Affine(b.zeros([3, 2]), any([1, 2])),
    'new Affine(W, b): expected b to be a Tensor, got an array of length 2',
  ],
  ['Relu.forward([1, 2])', () => new Relu().forward(any([1, 2])), 'Relu.forward: expected x to be a Tensor, got an array of length 2'],
  ['Relu.backward(null)', () => new Relu().backward(any(null)), 'Relu.backward: expected dout to be a Tensor, got null'],
  ['Sigmoid.forward(undefined)', () => new Sigmoid().forward(any(undefined)), 'Sigmoid.forward: expected x to be a Tensor, got undefined'],
  [
    'SoftmaxWithLoss.forward(x, 3)',
    (b) => new SoftmaxWithLoss().forward(b.zeros([2, 3]), any(3)),
    'SoftmaxWithLoss.forward: expected t to be a Tensor, got a number (3)',
  ],
  [
    'backend.tensor(null)',
    (b) => b.tensor(any(null)),
    '.tensor: expected values to be an array of numbers, a nested array or a Float32Array, got null',
  ],
  [
    'backend.tensor("abc")',
    (b) => b.tensor(any('abc')),
    '.tensor: expected values to be an array of numbers, a nested array or a Float32Array, got a string ("abc")',
  ],
  ['backend.zeros(null)', (b) => b.zeros(any(null)), '.zeros: expected a shape (array of dimensions), got null'],
  ['backend.zeros(["2"])', (b) => b.zeros(any(['2'])), '.zeros: expected dimensions to be integers from 0 to 2³¹ − 1, got shape [2]'],
  [
    'backend.gemmNN(…, null, …)',
    (b) => b.gemmNN(1, 1, 1, b.zeros([1]), any(null), b.zeros([1])),
    '.gemmNN: expected B to be a Tensor, got null',
  ],
  [
    'backend.reluForward(x, "out")',
    (b) => b.reluForward(b.zeros([1]), any('out')),
    '.reluForward: expected out to be a Tensor, got a string ("out")',
  ],
  [
    'backend.colSum("2", …)',
    (b) => b.colSum(any('2'), 1, b.zeros([2]), b.zeros([1])),
    '.colSum: expected rows to be an integer from 0 to 2147483647, got a string ("2")',
  ],
  ['new SGD(null)', () => new SGD(any(null)), 'new SGD(options): expected options to be an object such as { lr: 0.01 }, got null'],
  [
    'new Momentum(0.1)',
    () => new Momentum(any(0.1)),
    'new Momentum(options): expected options to be an object such as { lr: 0.01 }, got a number (0.1)',
  ],
  [
    'sgd.update(params, null)',
    (b) => new SGD().update(net(b).params, any(null)),
    'SGD.update: expected grads to be an object such as net.gradient(x, t), got null',
  ],
  [
    'sgd.update(null, grads)',
    (b) => new SGD().update(any(null), { W1: b.zeros([4, 3]) }),
    'SGD.update: expected params to be an object such as net.params, got null',
  ],
  [
    'sgd.update with a non-tensor gradient',
    (b) => new SGD().update(net(b).params, any({ W1: [1, 2] })),
    "SGD.update: expected grads['W1'] to be a Tensor, got an array of length 2",
  ],
  [
    'adam.update with a non-tensor param',
    (b) => new Adam().update(any({ W1: 5 }), { W1: b.zeros([1]) }),
    "Adam.update: expected params['W1'] to be a Tensor, got a number (5)",
  ],
  [
    'new Sequential([["x", {}]])',
    () => new Sequential(any([['x', {}]])),
    "new Sequential(layers): expected 'x' to be a layer (with forward, backward, params, grads and dispose methods), got Object without forward, backward, params, grads, dispose",
  ],
  [
    'new Sequential(null)',
    () => new Sequential(any(null)),
    'new Sequential(layers): expected layers to be an array of [name, layer] pairs, got null',
  ],
  [
    'new Sequential([[1, relu]])',
    () => new Sequential(any([[1, new Relu()]])),
    'new Sequential(layers): expected entry 0 to be a [name, layer] pair with a string name, got an array of length 2',
  ],
  [
    'new Sequential(layers, {})',
    () => new Sequential([['r', new Relu()]], any({})),
    'new Sequential(layers): expected lastLayer to be a SoftmaxWithLoss, got Object',
  ],
  [
    'Sequential.mlp(null, sizes)',
    () => Sequential.mlp(any(null), [4, 2]),
    "Sequential.mlp: expected a backend from createBackend('wasm' | 'ts'), got null",
  ],
  [
    'Sequential.mlp(backend, 4)',
    (b) => Sequential.mlp(b, any(4)),
    'Sequential.mlp: expected sizes [inputs, hidden..., classes] of positive integers, got a number (4)',
  ],
  [
    'new TwoLayerNet(undefined, …)',
    () => new TwoLayerNet(any(undefined), 4, 3, 2),
    "new TwoLayerNet: expected a backend from createBackend('wasm' | 'ts'), got undefined",
  ],
  [
    'net.gradient([[1, 2, 3]], [1])',
    (b) => net(b).gradient(any([[1, 2, 3]]), any([1])),
    'Sequential.gradient: expected x to be a Tensor, got an array of length 1',
  ],
  ['net.loss(x, null)', (b) => net(b).loss(b.zeros([1, 4]), any(null)), 'Sequential.loss: expected t to be a Tensor, got null'],
  ['net.accuracy(null, t)', (b) => net(b).accuracy(any(null), b.zeros([1])), 'Sequential.accuracy: expected x to be a Tensor, got null'],
  ['net.predict("x")', (b) => net(b).predict(any('x')), 'Sequential.predict: expected x to be a Tensor, got a string ("x")'],
  [
    'graphFromNet({}, x, t)',
    (b) => graphFromNet(any({}), b.zeros([1, 4]), b.zeros([1])),
    'graphFromNet: expected a network (Sequential or TwoLayerNet), got Object',
  ],
  ['toDot(null)', () => toDot(any(null)), 'toDot: expected a Graph (from new Graph(), shoppingGraph() or graphFromNet()), got null'],
  ['explainStep(null, "forward")', () => explainStep(any(null), 'forward'), 'explainStep: expected a node of a Graph, got null'],
];

const nets = new Map<Backend, TwoLayerNet>();
/** One small net per backend, shared by the cases (none of them changes it). */
function net(b: Backend): TwoLayerNet {
  if (!nets.has(b)) nets.set(b, new TwoLayerNet(b, 4, 3, 2));
  return nets.get(b)!;
}

describe.each(backends.map((b) => [b.name, b] as const))('plain-JS misuse on %s', (_name, backend: Backend) => {
  it.each(MISUSES)('%s: a clear Error, not a TypeError', (_call, run, message) => {
    let thrown: unknown;
    try {
      run(backend);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toContain(message);
  });

  it('the backend still trains after every misuse', () => {
    const n = net(backend);
    const x: Tensor = backend.tensor([[1, 0, 0, 1]]);
    const t = backend.tensor([1], [1]);
    const before = n.loss(x, t);
    new SGD({ lr: 0.5 }).update(n.params, n.gradient(x, t));
    expect(n.loss(x, t)).toBeLessThan(before);
  });
});

it('createBackend and toSvg refuse wrong kinds of options and graphs', async () => {
  await expect(createBackend('wasm', any(null))).rejects.toThrow(
    "createBackend('wasm', options): expected options to be an object such as { variant: 'auto' }, got null",
  );
  await expect(createBackend('ts', any('fast'))).rejects.toThrow('got a string ("fast")');
  await expect(createBackend('wasm', { maxMemoryBytes: any('1GB') })).rejects.toThrow(
    'createBackend(\'wasm\'): expected maxMemoryBytes to be an integer from 65536 (64 KiB) to 4294967296 (4 GiB), got a string ("1GB")',
  );
  await expect(createBackend('wasm', { maxMemoryBytes: 2 ** 33 })).rejects.toThrow('got a number (8589934592)');
  await expect(toSvg(any(undefined))).rejects.toThrow('toSvg: expected a Graph');
});
