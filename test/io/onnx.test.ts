import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs/light.js';
import {
  Adam,
  Affine,
  BatchNormalization,
  Convolution,
  Dropout,
  importTorchMlp,
  DeepConvNet,
  MultiLayerNetExtend,
  Pooling,
  Relu,
  SGD,
  Sequential,
  SimpleConvNet,
  TwoLayerNet,
  type Backend,
} from '../../ts/index.js';
import { ONNX_SCHEMA } from '../../ts/onnx/schema.js';
import { OPSET, toOnnx } from '../../ts/onnx/index.js';
import { loadEmbeddedMnist } from '../../demo/mnist_data.js';
import { BACKEND_NAMES, makeBackend } from '../helpers/backends.js';

// backprop-wasm/onnx: the exported model runs in ONNX Runtime (onnxruntime-web on its wasm
// backend, in Node) on real MNIST digits and gives the softmax of our predict within 1e-5.

ort.env.wasm.numThreads = 1;
const { train, test } = loadEmbeddedMnist();
const BATCH = 64;

/** A net trained for a few SGD steps on MNIST, so its weights are those of a real model. */
function trainedNet(backend: Backend, sizes: number[], activation: 'relu' | 'sigmoid'): Sequential {
  const net = Sequential.mlp(backend, sizes, { activation, seed: 1 });
  const sgd = new SGD({ lr: 0.1 });
  for (let step = 0; step < 20; step++) {
    const rows = [step * 50, (step + 1) * 50];
    const x = backend.tensor(train.images.subarray(rows[0] * 784, rows[1] * 784), [50, 784]);
    const t = backend.tensor(train.labels.subarray(rows[0], rows[1]), [50]);
    sgd.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
  return net;
}

/** Row-wise softmax of our predict, in float64; one sample is `sample` ([784], or [1, 28, 28] for a conv net). */
function ourProbabilities(net: Sequential, images: Float32Array, batch: number, sample = [images.length / batch]): number[] {
  const backend = net.params.W1.backend;
  const x = backend.tensor(images, [batch, ...sample]);
  const scores = net.predict(x).toArray();
  x.dispose();
  const classes = scores.length / batch;
  const out: number[] = [];
  for (let r = 0; r < batch; r++) {
    const row = Array.from(scores.subarray(r * classes, (r + 1) * classes));
    const max = Math.max(...row);
    const exps = row.map((s) => Math.exp(s - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    out.push(...exps.map((e) => e / sum));
  }
  return out;
}

async function runInOrt(model: Uint8Array, images: Float32Array, batch: number, sample = [images.length / batch]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  expect(session.inputNames).toEqual(['x']);
  expect(session.outputNames).toEqual(['probabilities']);
  const result = await session.run({ x: new ort.Tensor('float32', images, [batch, ...sample]) });
  await session.release();
  return result.probabilities.data as Float32Array;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(BACKEND_NAMES)('toOnnx on %s, run by ONNX Runtime', (name) => {
  it.each(['relu', 'sigmoid'] as const)(
    'a %s MLP trained on MNIST: ORT matches softmax(predict) within 1e-5 on real digits',
    async (activation) => {
      const backend = await makeBackend(name);
      const net = trainedNet(backend, [784, 64, 32, 10], activation);
      const model = toOnnx(net);
      const images = test.images.subarray(0, BATCH * 784);
      const expected = ourProbabilities(net, images, BATCH);
      expect(maxDifference(await runInOrt(model, images, BATCH), expected)).toBeLessThanOrEqual(1e-5);
      // The batch dimension is dynamic: one digit runs through the same model.
      expect(maxDifference(await runInOrt(model, test.images.subarray(0, 784), 1), expected.slice(0, 10))).toBeLessThanOrEqual(1e-5);
    },
  );
});

/** A few Adam steps on MNIST digits of shape [N, ...sample], so that weights, biases and BatchNorm statistics are a real model's. */
function trainAdam(net: Sequential, sample: number[], lr = 0.005, steps = 6): Sequential {
  const backend = net.params.W1.backend;
  const adam = new Adam({ lr });
  for (let step = 0; step < steps; step++) {
    const rows = [step * 32, (step + 1) * 32];
    const x = backend.tensor(train.images.subarray(rows[0] * 784, rows[1] * 784), [32, ...sample]);
    const t = backend.tensor(train.labels.subarray(rows[0], rows[1]), [32]);
    adam.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
  adam.dispose();
  return net;
}

/**
 * Conv (4×4, pad 2, stride 2: 15×15 maps) → Pooling (3×3, stride 2, pad 1: its last window reaches
 * into the padding at the end too) → Conv (a 3×2 kernel) → BatchNorm over
 * the images → Relu → Dropout → Affine. No Relu around the pooling: where a window over the blank
 * border of a digit holds only negative values, the padding's zero wins (the book's pooling).
 */
function oddConvNet(backend: Backend): Sequential {
  const values = (shape: number[], seed: number, scale: number) =>
    backend.tensor(
      Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => scale * Math.sin(seed * 7 + i * 1.3)),
      shape,
    );
  const ones = (n: number) => backend.tensor(new Float32Array(n).fill(1), [n]);
  return new Sequential([
    ['convA', new Convolution(values([6, 1, 4, 4], 1, 0.3), values([6], 2, 0.1), { stride: 2, pad: 2 })],
    ['pool', new Pooling(3, 3, { stride: 2, pad: 1 })],
    ['convB', new Convolution(values([4, 6, 3, 2], 3, 0.2), values([4], 4, 0.1))],
    ['norm', new BatchNormalization(ones(4 * 6 * 7), backend.zeros([4 * 6 * 7]))],
    ['relu', new Relu()],
    ['drop', new Dropout({ ratio: 0.3 })],
    ['fc', new Affine(values([168, 10], 5, 0.1), backend.zeros([10]))],
  ]);
}

/** The op types of an exported model's graph, in order. */
function opTypes(model: Uint8Array): string[] {
  const decoded = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto').decode(model) as unknown as {
    graph: { node: { opType: string }[] };
  };
  return decoded.graph.node.map((n) => n.opType);
}

describe.each(BACKEND_NAMES)('toOnnx of chapter 6–7 nets on %s, run by ONNX Runtime on MNIST digits', (name) => {
  const images = test.images.subarray(0, BATCH * 784);

  async function agrees(net: Sequential, sample: number[]): Promise<number> {
    const model = toOnnx(net);
    const expected = ourProbabilities(net, images, BATCH, sample);
    // Not saturated (all 0 and 1), or a wrong weight could hide behind the softmax.
    expect(expected.filter((p) => p > 0.01 && p < 0.99).length).toBeGreaterThan(BATCH);
    // and one digit: the batch dimension is dynamic
    const one = maxDifference(await runInOrt(model, images.subarray(0, 784), 1, sample), expected.slice(0, 10));
    return Math.max(maxDifference(await runInOrt(model, images, BATCH, sample), expected), one);
  }

  it('SimpleConvNet: x is [batch, 1, 28, 28]; Conv, Relu, MaxPool, Flatten, Gemm', async () => {
    const net = trainAdam(new SimpleConvNet(await makeBackend(name), { seed: 3 }), [1, 28, 28], 0.001);
    expect(opTypes(toOnnx(net))).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
    expect(await agrees(net, [1, 28, 28])).toBeLessThanOrEqual(1e-5);
  });

  it("DeepConvNet: six 3×3 Convs (conv 4's pad 2), three MaxPools, Flatten, Gemm, Dropout as Mul", async () => {
    const net = trainAdam(new DeepConvNet(await makeBackend(name), { seed: 3 }), [1, 28, 28], 0.001, 2);
    const convRelu = ['Conv', 'Relu', 'Conv', 'Relu', 'MaxPool'];
    expect(opTypes(toOnnx(net))).toEqual([
      ...convRelu,
      ...convRelu,
      ...convRelu,
      'Flatten',
      'Gemm',
      'Relu',
      'Mul',
      'Gemm',
      'Mul',
      'Softmax',
    ]);
    expect(await agrees(net, [1, 28, 28])).toBeLessThanOrEqual(1e-5);
  });

  it('MultiLayerNetExtend with BatchNorm (running statistics) and Dropout (× (1 − ratio))', async () => {
    const net = trainAdam(
      new MultiLayerNetExtend(await makeBackend(name), 784, [64, 32], 10, {
        useBatchnorm: true,
        useDropout: true,
        dropoutRatio: 0.3,
        seed: 2,
      }),
      [784],
    );
    expect(opTypes(toOnnx(net))).toEqual([
      'Gemm',
      'BatchNormalization',
      'Relu',
      'Mul',
      'Gemm',
      'BatchNormalization',
      'Relu',
      'Mul',
      'Gemm',
      'Softmax',
    ]);
    expect(await agrees(net, [784])).toBeLessThanOrEqual(1e-5);
  });

  it('padded pooling on negative values, with windows that end exactly at the edge (no padding: no max with 0) and windows past it', async () => {
    const backend = await makeBackend(name);
    // A 5×6 image: 2×2 windows with stride 2 and pad 1 start at rows −1, 1, 3 (the last ends
    // exactly at row 5, inside) and columns −1, 1, 3, 5 (the last reaches past column 6); 3×3
    // windows with stride 1 start at −1 … 3 (rows [2, 5) end exactly at the edge) and −1 … 4;
    // 2×3 windows with stride 1 end exactly at the edge in both directions (rows [3, 5), columns [3, 6)).
    const [batch, sample] = [4, [2, 5, 6]];
    const images = Float32Array.from({ length: batch * 60 }, (_, i) => -0.5 - Math.abs(Math.sin(i * 0.7)));
    for (const [fh, fw, stride, pooled] of [
      [2, 2, 2, 2 * 3 * 4],
      [3, 3, 1, 2 * 5 * 6],
      [2, 3, 1, 2 * 6 * 6],
    ]) {
      const W = backend.tensor(
        Float32Array.from({ length: pooled * 3 }, (_, i) => Math.sin(i * 1.1)),
        [pooled, 3],
      );
      const net = new Sequential([
        ['pool', new Pooling(fh, fw, { stride, pad: 1 })],
        ['fc', new Affine(W, backend.zeros([3]))],
      ]);
      const expected = ourProbabilities(net, images, batch, sample);
      const where = `${fh}×${fw} windows, stride ${stride}`;
      expect(maxDifference(await runInOrt(toOnnx(net), images, batch, sample), expected), where).toBeLessThanOrEqual(1e-5);
      net.dispose();
    }
  });

  it('a conv net with pad and stride ≠ defaults, a padded pooling on negative values, a 3×2 kernel and BatchNorm over images', async () => {
    const net = trainAdam(oddConvNet(await makeBackend(name)), [1, 28, 28]);
    expect(opTypes(toOnnx(net))).toEqual([
      'Conv',
      'MaxPool',
      'Max',
      'Conv',
      'Flatten',
      'BatchNormalization',
      'Reshape',
      'Relu',
      'Mul',
      'Flatten',
      'Gemm',
      'Softmax',
    ]);
    expect(await agrees(net, [1, 28, 28])).toBeLessThanOrEqual(1e-5);
  });
});

describe('toOnnx', () => {
  it('exports TwoLayerNet and nets imported from PyTorch, opset 13', async () => {
    const backend = await makeBackend('ts');
    const net = new TwoLayerNet(backend, 784, 20, 10, { weightInitStd: 0.1 });
    const images = test.images.subarray(0, 8 * 784);
    expect(maxDifference(await runInOrt(toOnnx(net), images, 8), ourProbabilities(net, images, 8))).toBeLessThanOrEqual(1e-5);
    expect(OPSET).toBeGreaterThanOrEqual(13);
    // A safetensors file in PyTorch's layout (here: ours transposed) round-trips through importTorchMlp to ONNX.
    const torchLike = importTorchMlp(backend, torchBytes(net));
    expect(maxDifference(await runInOrt(toOnnx(torchLike), images, 8), ourProbabilities(net, images, 8))).toBeLessThanOrEqual(1e-5);
  });

  it('refuses what it cannot export, by name', async () => {
    const backend = await makeBackend('ts');
    const odd = new Sequential([
      ['Affine1', new Affine(backend.zeros([2, 2]), backend.zeros([2]))],
      [
        'Odd',
        { type: 'Odd', forward: (x: never) => x, backward: (d: never) => d, params: () => ({}), grads: () => ({}), dispose() {} } as never,
      ],
    ]);
    expect(() => toOnnx(odd)).toThrow(/toOnnx: layer 'Odd' is a Object, which has no ONNX export yet/);
    expect(() => toOnnx(null as never)).toThrow(/toOnnx: expected a Sequential or TwoLayerNet, got null/);
    const conv = new Sequential([
      ['conv', new Convolution(backend.zeros([2, 1, 3, 3]), backend.zeros([2]))],
      ['fc', new Affine(backend.zeros([8, 3]), backend.zeros([3]))],
    ]);
    expect(() => toOnnx(conv)).toThrow(
      'toOnnx: the net starts with a Convolution that has not seen an input yet, so the [C, H, W] it takes is unknown: run predict on one batch first',
    );
    conv.predict(backend.zeros([1, 1, 4, 4]));
    expect(opTypes(toOnnx(conv))).toEqual(['Conv', 'Flatten', 'Gemm', 'Softmax']);
    // a Relu first says nothing about the shape: the Convolution after it does
    const reluFirst = new Sequential([
      ['relu', new Relu()],
      ['conv', new Convolution(backend.zeros([2, 1, 3, 3]), backend.zeros([2]))],
      ['fc', new Affine(backend.zeros([8, 3]), backend.zeros([3]))],
    ]);
    reluFirst.predict(backend.zeros([1, 1, 4, 4]));
    expect(opTypes(toOnnx(reluFirst))).toEqual(['Relu', 'Conv', 'Flatten', 'Gemm', 'Softmax']);
    const noClasses = new Sequential([['conv', new Convolution(backend.zeros([2, 1, 3, 3]), backend.zeros([2]))]]);
    noClasses.predict(backend.zeros([1, 1, 4, 4]));
    expect(() => toOnnx(noClasses)).toThrow(
      "toOnnx: the net's scores must be [batch, classes]; its last layer gives [batch, 2, 2, 2] (end it with an Affine)",
    );
  });
});

/** The net's weights as PyTorch would store them ([out, in], keys 0.weight, 0.bias, 2.weight, …), F32. */
function torchBytes(net: Sequential): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Float32Array[] = [];
  let offset = 0;
  const count = Object.keys(net.params).length / 2;
  for (let i = 1; i <= count; i++) {
    const W = net.params[`W${i}`];
    const [inputs, outputs] = W.shape;
    const w = W.toArray();
    const transposed = new Float32Array(inputs * outputs);
    for (let o = 0; o < outputs; o++) for (let k = 0; k < inputs; k++) transposed[o * inputs + k] = w[k * outputs + o];
    for (const [key, data, shape] of [
      [`${2 * (i - 1)}.weight`, transposed, [outputs, inputs]],
      [`${2 * (i - 1)}.bias`, net.params[`b${i}`].toArray(), [outputs]],
    ] as const) {
      header[key] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
      parts.push(data);
      offset += data.length * 4;
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const v of parts.flatMap((p) => [...p])) {
    view.setFloat32(pos, v, true);
    pos += 4;
  }
  return out;
}
