import { describe, expect, it } from 'vitest';
import {
  Adam,
  Affine,
  Convolution,
  Graph,
  gradientCheck,
  graphFromNet,
  Pooling,
  Sequential,
  SimpleConvNet,
  type Backend,
  type Tensor,
} from '../../ts/index.js';
import { allBackends, makeBackend, randomValues, toleranceRatio, type BackendName } from '../helpers/backends.js';

const backends = await allBackends();

/** A small SimpleConvNet: 2×9×9 inputs, 4 filters of 3×3, 12 hidden units, 5 classes. */
const small = (backend: Backend, weightInitStd: number | 'he' = 0.3) =>
  new SimpleConvNet(backend, { inputDim: [2, 9, 9], filterNum: 4, filterSize: 3, hiddenSize: 12, outputSize: 5, weightInitStd, seed: 3 });
/** The same with 1×9×9 inputs: its 3×3 filters are a shape the one-pass first-layer backward takes. */
const smallGray = (backend: Backend) =>
  new SimpleConvNet(backend, {
    inputDim: [1, 9, 9],
    filterNum: 4,
    filterSize: 3,
    hiddenSize: 12,
    outputSize: 5,
    weightInitStd: 0.3,
    seed: 3,
  });
const grayBatch = (backend: Backend, n = 3) => ({
  x: backend.tensor(randomValues(n * 81, 12), [n, 1, 9, 9]),
  t: backend.tensor(
    Float32Array.from({ length: n }, (_, i) => (i * 2) % 5),
    [n],
  ),
});
const batch = (backend: Backend, n = 3) => ({
  x: backend.tensor(randomValues(n * 2 * 81, 11), [n, 2, 9, 9]),
  t: backend.tensor(
    Float32Array.from({ length: n }, (_, i) => (i * 2) % 5),
    [n],
  ),
});

describe.each(backends.map((b) => [b.name, b] as const))('SimpleConvNet on %s', (_name, backend: Backend) => {
  it('has the book layers and params W1…W3, b1…b3 with the book shapes', () => {
    const net = new SimpleConvNet(backend, { seed: 1 });
    expect([...net.layers.keys()]).toEqual(['Conv1', 'Relu1', 'Pool1', 'Affine1', 'Relu2', 'Affine2']);
    const shapes = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({ W1: [30, 1, 5, 5], b1: [30], W2: [4320, 100], b2: [100], W3: [100, 10], b3: [10] });
    // weight_init_std 0.01 by default, as the book
    const w = net.params.W2.data;
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.0095);
    expect(std).toBeLessThan(0.0105);
    net.dispose();
  });

  it('gradientCheck passes for SimpleConvNet (float64 numerical side, one-sided at pool ties and ReLU kinks)', () => {
    const net = small(backend);
    const { x, t } = batch(backend);
    const result = gradientCheck(net, x, t);
    for (const [key, c] of Object.entries(result.params)) expect(c.relativeError, `${key}: ${JSON.stringify(c.worst)}`).toBeLessThan(1e-4);
    expect(result.ok).toBe(true);
    expect(result.compared).toBe(result.elements);
    net.dispose();
  });

  it('gradientCheck passes for Convolution with stride 2 and pad 1, and for Pooling with overlapping padded windows', () => {
    const W = backend.tensor(randomValues(3 * 2 * 3 * 3, 5), [3, 2, 3, 3]);
    const net = new Sequential([
      ['Conv', new Convolution(W, backend.tensor(randomValues(3, 6), [3]), { stride: 2, pad: 1 })],
      ['Pool', new Pooling(3, 2, { stride: 1, pad: 1 })],
      ['Affine', new Affine(backend.tensor(randomValues(3 * 6 * 6 * 4, 7), [3 * 6 * 6, 4]), backend.zeros([4]))],
    ]);
    // x 2×11×9 → conv 3×3 (stride 2, pad 1) 3×6×5 → pool 3×2 (stride 1, pad 1) 3×6×6
    const x = backend.tensor(randomValues(2 * 2 * 11 * 9, 8), [2, 2, 11, 9]);
    const t = backend.tensor([1, 3], [2]);
    const result = gradientCheck(net, x, t);
    for (const [key, c] of Object.entries(result.params)) expect(c.relativeError, key).toBeLessThan(1e-4);
    net.dispose();
  });

  it('weight decay covers every W, the Convolution filters as the Affine weights (as docs/guide.md says), never a b', () => {
    const plain = small(backend);
    const { x, t } = batch(backend);
    const loss = plain.loss(x, t);
    const before = Object.fromEntries(Object.entries(plain.gradient(x, t)).map(([k, g]) => [k, g.toArray()]));
    const decayed = new Sequential(plain.layers, undefined, { weightDecayLambda: 0.3 });
    let sumSquares = 0;
    for (const key of ['W1', 'W2', 'W3']) for (const w of plain.params[key].data) sumSquares += w * w;
    expect(decayed.loss(x, t)).toBeCloseTo(loss + 0.15 * sumSquares, 4);
    const after = decayed.gradient(x, t);
    for (const [key, g] of Object.entries(after)) {
      const W = plain.params[key].data;
      const want = key.startsWith('W') ? before[key].map((d, i) => d + 0.3 * W[i]) : before[key];
      expect(toleranceRatio(g.data, want), key).toBeLessThanOrEqual(1);
    }
    expect(gradientCheck(decayed, x, t).ok).toBe(true);
    plain.dispose();
  });

  it('a wrong pooling gradient fails the check (the check can fail), in the fused backward and layer by layer', () => {
    // route every gradient to the wrong window element: what a last-maximum tie rule or an off-by-one would do
    const fused = smallGray(backend);
    const { x, t } = grayBatch(backend);
    const conv = fused.layers.get('Conv1') as Convolution;
    const pool = fused.layers.get('Pool1') as Pooling;
    const through = conv.backwardParamsThrough.bind(conv);
    let planted = 0;
    conv.backwardParamsThrough = (layers, dout) => {
      pool.argmax!.data.reverse();
      planted++;
      through(layers, dout);
    };
    expect(gradientCheck(fused, x, t).params.W1.relativeError).toBeGreaterThan(1e-2);
    expect(planted).toBeGreaterThan(0); // the net took the fused path
    fused.dispose();

    const layered = smallGray(backend);
    (layered.layers.get('Conv1') as Convolution).fusedBackwardDepth = () => 0; // layer by layer
    const pool2 = layered.layers.get('Pool1') as Pooling;
    const backward = pool2.backward.bind(pool2);
    pool2.backward = (dout) => {
      const dx = backward(dout);
      dx.data.reverse();
      return dx;
    };
    expect(gradientCheck(layered, x, t).params.W1.relativeError).toBeGreaterThan(1e-2);
    layered.dispose();
  });

  it('takes Conv1 → Relu1 → Pool1 backward in one pass, with the gradients of the layers one after another', () => {
    const [fused, layered] = [smallGray(backend), smallGray(backend)];
    (layered.layers.get('Conv1') as Convolution).fusedBackwardDepth = () => 0;
    const { x, t } = grayBatch(backend);
    const calls: string[] = [];
    const kernel = backend.convReluPoolBackward.bind(backend);
    backend.convReluPoolBackward = (...a: Parameters<Backend['convReluPoolBackward']>) => {
      calls.push('convReluPoolBackward');
      kernel(...a);
    };
    const a = fused.gradient(x, t);
    expect(calls).toEqual(['convReluPoolBackward']);
    const b = layered.gradient(x, t);
    expect(calls).toEqual(['convReluPoolBackward']); // not called layer by layer
    backend.convReluPoolBackward = kernel;
    for (const key of ['W1', 'b1']) expect(toleranceRatio(a[key].data, b[key].data), key).toBeLessThanOrEqual(1);
    for (const key of ['W2', 'b2', 'W3', 'b3']) expect(Array.from(a[key].data), key).toEqual(Array.from(b[key].data));
    fused.dispose();
    layered.dispose();
    // 2-channel inputs (C·FH = 6): the one pass would go patch by patch, so the net runs the layers
    const two = small(backend);
    const twoBatch = batch(backend);
    backend.convReluPoolBackward = (...args: Parameters<Backend['convReluPoolBackward']>) => {
      calls.push('convReluPoolBackward');
      kernel(...args);
    };
    two.gradient(twoBatch.x, twoBatch.t);
    backend.convReluPoolBackward = kernel;
    expect(calls).toEqual(['convReluPoolBackward']);
    two.dispose();
  });

  it("numericalGradient (f32, the book's) agrees with gradient", () => {
    const net = small(backend);
    const { x, t } = batch(backend, 2);
    const grads = Object.fromEntries(Object.entries(net.gradient(x, t)).map(([k, g]) => [k, Array.from(g.data)]));
    const num = net.numericalGradient(x, t, 1e-2);
    // f32 steps of 1e-2 cross some ReLU kinks and pool choices (which the f64 gradientCheck steps around); a
    // bias b1[f] moves a whole feature map across them, so only W1 and b3 are compared here
    for (const [key, tolerance] of [
      ['W1', 0.1],
      ['b3', 2e-3],
    ] as const) {
      const a = grads[key],
        b = Array.from(num[key].data);
      const diff = Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0)),
        norm = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
      expect(diff / norm, key).toBeLessThan(tolerance);
    }
    for (const g of Object.values(num)) g.dispose();
    net.dispose();
  });

  it('learns: 60 Adam steps on one batch fit it, and accuracy is read per row', () => {
    const net = small(backend, 'he');
    const { x, t } = batch(backend, 10);
    const adam = new Adam({ lr: 0.01 });
    const first = net.loss(x, t);
    for (let i = 0; i < 60; i++) adam.update(net.params, net.gradient(x, t));
    expect(net.loss(x, t)).toBeLessThan(first / 10);
    expect(net.accuracy(x, t)).toBe(1);
    net.dispose();
  });

  it('refuses bad options and inputs with clear errors', () => {
    expect(() => new SimpleConvNet(backend, { inputDim: [1, 4, 4] })).toThrow(
      'new SimpleConvNet: a 5×5 filter with pad 0 does not fit a 4×4 input',
    );
    expect(() => new SimpleConvNet(backend, { filterNum: 0 })).toThrow('expected filterNum to be a positive integer, got a number (0)');
    const net = small(backend);
    expect(() => net.predict(backend.zeros([2, 1, 9, 9]))).toThrow(
      'Convolution.forward: x has 1 channels (shape [2, 1, 9, 9]) but W expects 2',
    );
    net.dispose();
  });

  it('1,000 training steps allocate nothing after the first', async () => {
    const fresh = await makeBackend(backend.name as BackendName);
    const net = small(fresh, 'he');
    const { x, t } = batch(fresh, 8);
    const adam = new Adam({ lr: 0.001 });
    adam.update(net.params, net.gradient(x, t));
    const afterFirst = fresh.memoryStats();
    for (let step = 1; step < 1000; step++) adam.update(net.params, net.gradient(x, t));
    expect(fresh.memoryStats()).toEqual(afterFirst);
    net.dispose();
    adam.dispose();
    x.dispose();
    t.dispose();
    expect(fresh.memoryStats().liveTensors).toBe(0);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('SimpleConvNet as a computational graph on %s', (_name, backend: Backend) => {
  it("graphFromNet records Conv1 and Pool1, and its gradients equal the net's (W1, b1 to rounding); the graph renders", async () => {
    const net = small(backend);
    const { x, t } = batch(backend);
    const { graph, loss, params } = graphFromNet(net, x, t);
    expect(graph.nodes.filter((n) => n.op).map((n) => n.name)).toEqual([
      'Conv1',
      'Relu1',
      'Pool1',
      'Affine1',
      'Relu2',
      'Affine2',
      'SoftmaxWithLoss',
    ]);
    graph.forward();
    graph.backward(loss);
    const grads = net.gradient(x, t);
    expect(loss.value).toBe(net.lastLayer.loss);
    // the graph runs the layers one by one; the net takes Conv1 → Relu1 → Pool1 backward in one
    // pass that adds in another order (Convolution.backwardParamsThrough)
    for (const key of ['W1', 'b1']) expect(toleranceRatio((params[key].grad as Tensor).data, grads[key].data), key).toBeLessThanOrEqual(1);
    for (const key of ['W2', 'b2', 'W3', 'b3'])
      expect(Array.from((params[key].grad as Tensor).data), key).toEqual(Array.from(grads[key].data));
    const { toDot } = await import('../../ts/render/index.js');
    const dot = toDot(graph);
    expect(dot).toContain('Conv1');
    expect(dot).toContain('Pool1');
    graph.dispose();
    net.dispose();
  });

  it("Graph.convolution and Graph.pooling take the layers' options", () => {
    const graph = new Graph();
    const x = graph.input('x', backend.tensor(randomValues(2 * 7 * 7, 1), [1, 2, 7, 7]));
    const W = graph.input('W', backend.tensor(randomValues(3 * 2 * 3 * 3, 2), [3, 2, 3, 3]));
    const b = graph.input('b', backend.zeros([3]));
    const pooled = graph.pooling(graph.convolution(x, W, b, { stride: 2, pad: 1 }), 3, 3, { stride: 1 });
    graph.forward();
    expect((graph.nodes[3].value as Tensor).shape).toEqual([1, 3, 4, 4]); // (7 + 2 − 3) / 2 + 1 = 4
    expect((pooled.value as Tensor).shape).toEqual([1, 3, 2, 2]);
    graph.dispose();
  });
});
