import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  Affine,
  BatchNormalization,
  Convolution,
  createOptimizer,
  loadModel,
  OPTIMIZERS,
  Pooling,
  readSafetensors,
  Relu,
  saveModel,
  Sequential,
  SimpleConvNet,
  toFloat32,
  TwoLayerNet,
  writeSafetensors,
  type Backend,
  type Optimizer,
} from '../../ts/index.js';
import { BACKEND_NAMES, makeBackend } from '../helpers/backends.js';
import { batchOf, paramBits } from '../helpers/io_helpers.js';
import type { Json } from '../helpers/json.js';

// saveModel / loadModel for the chapter-7 layers: Convolution and Pooling keep their geometry
// (and the [C, H, W] they take), W/b are numbered across Convolution and Affine layers as the
// book's SimpleConvNet and deep_convnet do (W1 the filters, W2, W3 the affines), and a
// SimpleConvNet comes back as a SimpleConvNet.

/** A small SimpleConvNet: 2×9×9 inputs, 4 filters of 3×3, 12 hidden units, 5 classes. */
const small = (backend: Backend, seed = 3) =>
  new SimpleConvNet(backend, {
    inputDim: [2, 9, 9],
    filterNum: 4,
    filterSize: 3,
    hiddenSize: 12,
    outputSize: 5,
    weightInitStd: 'he',
    seed,
  });

function step(net: Sequential, optimizer: Optimizer, sample: readonly number[], seed: number): void {
  const classes = Object.values(net.params)
    .filter((p) => p.shape.length === 2)
    .at(-1)!.shape[1];
  const { x, t } = batchOf(net.params.W1.backend, 6, sample, classes, seed);
  optimizer.update(net.params, net.gradient(x, t));
  x.dispose();
  t.dispose();
}

/** Conv (pad 1, stride 2) → Relu → Pool (3×3, stride 2, pad 1) → Conv (2×3 kernel) → BatchNorm → Relu → Affine: no default geometry anywhere. */
function oddConvNet(backend: Backend): Sequential {
  const values = (shape: number[], seed: number) => backend.tensor(batchOf(backend, 1, shape, 2, seed).x.toArray(), shape);
  return new Sequential(
    [
      ['convA', new Convolution(values([3, 2, 3, 3], 1), values([3], 2), { stride: 2, pad: 1 })],
      ['reluA', new Relu()],
      ['pool', new Pooling(3, 3, { stride: 2, pad: 1 })],
      ['convB', new Convolution(values([4, 3, 2, 3], 3), values([4], 4))],
      ['norm', new BatchNormalization(values([4 * 2 * 1], 5), values([4 * 2 * 1], 6), { momentum: 0.8 })],
      ['reluB', new Relu()],
      ['fc', new Affine(values([8, 3], 7), values([3], 8))],
    ],
    undefined,
    { weightDecayLambda: 0.02 },
  );
}

describe.each(BACKEND_NAMES)('conv models on %s', (name) => {
  it('round-trips a SimpleConvNet as a SimpleConvNet, bit for bit, params named W1 (filters), W2, W3', async () => {
    const backend = await makeBackend(name);
    const net = small(backend);
    const adam = new Adam({ lr: 0.01 });
    for (let seed = 1; seed <= 3; seed++) step(net, adam, [2, 9, 9], seed);
    const bytes = saveModel(net);
    const file = readSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    expect(file.tensors.get('W1')!.shape).toEqual([4, 2, 3, 3]);
    expect(file.tensors.get('W2')!.shape).toEqual([4 * 3 * 3, 12]);
    expect(JSON.parse(file.metadata.architecture).layers.slice(0, 3)).toEqual([
      { type: 'Convolution', name: 'Conv1', filters: 4, kernel: [3, 3], stride: 1, pad: 0, input: [2, 9, 9] },
      { type: 'Relu', name: 'Relu1' },
      { type: 'Pooling', name: 'Pool1', pool: [2, 2], stride: 2, pad: 0, input: [4, 7, 7] },
    ]);
    const before = backend.memoryStats().liveTensors;
    const { net: loaded } = loadModel(backend, bytes);
    expect(loaded).toBeInstanceOf(SimpleConvNet);
    expect((loaded as SimpleConvNet).inputDim).toEqual([2, 9, 9]);
    expect([...loaded.layers.keys()]).toEqual([...net.layers.keys()]);
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
    const { x, t } = batchOf(backend, 3, [2, 9, 9], 5, 8);
    expect(loaded.predict(x).toArray()).toEqual(net.predict(x).toArray());
    x.dispose();
    t.dispose();
    loaded.dispose();
    expect(backend.memoryStats().liveTensors).toBe(before);
  });

  it.each(OPTIMIZERS)('resumes a SimpleConvNet with %s exactly: a step after save → load equals a step without', async (optimizerName) => {
    const backend = await makeBackend(name);
    const net = small(backend, 5);
    const optimizer = createOptimizer(optimizerName, { lr: 0.02 });
    for (let seed = 1; seed <= 2; seed++) step(net, optimizer, [2, 9, 9], seed);
    const resumed = loadModel(backend, saveModel(net, { optimizer }));
    expect(resumed.optimizer!.constructor).toBe(optimizer.constructor);
    step(net, optimizer, [2, 9, 9], 50);
    step(resumed.net, resumed.optimizer!, [2, 9, 9], 50);
    expect(paramBits(resumed.net.params)).toEqual(paramBits(net.params));
  });

  it('round-trips a Sequential of two convolutions with pad, stride, a non-square kernel, BatchNorm and weight decay', async () => {
    const backend = await makeBackend(name);
    const net = oddConvNet(backend);
    // A net that starts with a Convolution learns the shape of its input from the first batch.
    expect(() => saveModel(net)).toThrow(
      'saveModel: the net starts with a Convolution that has not seen an input yet, so the [C, H, W] it takes is unknown: run predict on one batch before saving',
    );
    const { x, t } = batchOf(backend, 4, [2, 9, 9], 3, 2);
    const adam = new Adam({ lr: 0.01 });
    adam.update(net.params, net.gradient(x, t));
    const bytes = saveModel(net, { optimizer: adam });
    const file = readSafetensors(bytes);
    // W/b count across both kinds (convA W1, convB W2, fc W3); BatchNorm counts its own.
    expect([...file.tensors.keys()].filter((k) => !k.startsWith('optimizer.'))).toEqual([
      'W1',
      'b1',
      'W2',
      'b2',
      'gamma1',
      'beta1',
      'runningMean1',
      'runningVar1',
      'W3',
      'b3',
    ]);
    expect(JSON.parse(file.metadata.architecture).layers.map((l: { input?: number[] }) => l.input)).toEqual([
      [2, 9, 9],
      undefined,
      [3, 5, 5],
      [3, 3, 3],
      undefined,
      undefined,
      undefined,
    ]);
    const { net: loaded, optimizer } = loadModel(backend, bytes);
    expect(loaded.constructor).toBe(Sequential);
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
    const conv = loaded.layers.get('convA') as Convolution;
    const pool = loaded.layers.get('pool') as Pooling;
    expect([conv.stride, conv.pad, pool.poolH, pool.poolW, pool.stride, pool.pad]).toEqual([2, 1, 3, 3, 2, 1]);
    expect(loaded.weightDecayLambda).toBe(0.02);
    expect(loaded.predict(x).toArray()).toEqual(net.predict(x).toArray());
    adam.update(net.params, net.gradient(x, t));
    optimizer!.update(loaded.params, loaded.gradient(x, t));
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
  });
});

describe('conv model files: validation', () => {
  const backendPromise = makeBackend('wasm-simd128');

  /** The file with its architecture edited (tensors kept, or replaced by `tensors`). */
  function rewrite(bytes: Uint8Array, edit: (layers: Json[], spec: Json) => void, reshape: Record<string, number[]> = {}): Uint8Array {
    const file = readSafetensors(bytes);
    const spec = JSON.parse(file.metadata.architecture);
    edit(spec.layers, spec);
    const tensors = [...file.tensors.values()].map((e) => {
      const shape = reshape[e.name] ?? [...e.shape];
      return {
        name: e.name,
        shape,
        data: toFloat32(e).slice(
          0,
          shape.reduce((a, d) => a * d, 1),
        ),
      };
    });
    return writeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(spec) });
  }

  async function refuses(bytes: Uint8Array, message: string | RegExp): Promise<void> {
    const backend = await backendPromise;
    const live = backend.memoryStats().liveTensors;
    expect(() => loadModel(backend, bytes)).toThrow(message);
    expect(backend.memoryStats().liveTensors).toBe(live);
  }

  it('refuses geometry that gives no valid output, naming the layer', async () => {
    const bytes = saveModel(small(await backendPromise));
    await refuses(
      rewrite(bytes, (l) => (l[0].pad = -1)),
      "loadModel: layer 'Conv1' needs pad as an integer ≥ 0, got -1",
    );
    await refuses(
      rewrite(bytes, (l) => (l[0].stride = 0)),
      "loadModel: layer 'Conv1' needs stride as a positive integer, got 0",
    );
    await refuses(
      rewrite(bytes, (l) => (l[2].stride = 1.5)),
      "loadModel: layer 'Pool1' needs stride as a positive integer, got 1.5",
    );
    await refuses(
      rewrite(bytes, (l) => (l[0].kernel = [3])),
      "loadModel: layer 'Conv1' needs kernel as 2 positive integers, got [3]",
    );
    await refuses(
      rewrite(bytes, (l) => (l[0].input = [2, 2, 9])),
      "loadModel: layer 'Conv1': a 3×3 filter with pad 0 does not fit a 2×9 input",
    );
    await refuses(
      rewrite(bytes, (l) => (l[2].pool = [8, 8])),
      "loadModel: layer 'Pool1': a 8×8 pooling window with pad 0 does not fit a 7×7 input",
    );
    await refuses(
      rewrite(bytes, (l) => (l[0].input = [2, 2 ** 40, 9])),
      /loadModel: layer 'Conv1': expected h to be an integer from 0 to 2147483647, got 1099511627776/,
    );
    await refuses(
      rewrite(bytes, (l) => (l[0].dilation = 2)),
      "loadModel: layer 'Conv1' (Convolution) has an unknown field 'dilation'",
    );
  });

  it('refuses shapes that disagree with the architecture, between layers and against the tensors', async () => {
    const bytes = saveModel(small(await backendPromise));
    // The pooling's input is the convolution's output, [4, 7, 7].
    await refuses(
      rewrite(bytes, (l) => (l[2].input = [4, 8, 8])),
      "loadModel: layer 'Pool1' takes samples of shape [4, 8, 8] but the layer before it gives [4, 7, 7]",
    );
    // A pad of 1 makes a 9×9 output: the pooling's input no longer matches.
    await refuses(
      rewrite(bytes, (l) => (l[0].pad = 1)),
      "loadModel: layer 'Pool1' takes samples of shape [4, 7, 7] but the layer before it gives [4, 9, 9]",
    );
    // 5 filters: W1 in the file is [4, 2, 3, 3].
    await refuses(
      rewrite(bytes, (l) => {
        l[0].filters = 5;
        l[2].input = [5, 7, 7];
        l[3].inputs = 45;
      }),
      "loadModel: tensor 'W1' has shape [4, 2, 3, 3] but the architecture needs [5, 2, 3, 3]",
    );
    await refuses(
      rewrite(bytes, (l) => (l[3].inputs = 37)),
      "loadModel: layer 'Affine1' takes 37 inputs but the layer before it gives 36",
    );
    const file = readSafetensors(bytes);
    const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: toFloat32(e) }));
    await refuses(
      writeSafetensors(
        tensors.filter((t) => t.name !== 'b1'),
        file.metadata,
      ),
      'loadModel: the architecture needs tensors the file lacks: b1',
    );
    await refuses(
      writeSafetensors([...tensors, { name: 'W4', shape: [1], data: new Float32Array(1) }], file.metadata),
      'loadModel: the file has tensors the architecture does not use: W4',
    );
  });

  it('refuses a file that says SimpleConvNet but is not one, and frees what it built', async () => {
    const bytes = saveModel(small(await backendPromise));
    await refuses(
      rewrite(bytes, (l) => l.splice(1, 1)),
      'loadModel: a SimpleConvNet has layers Convolution Conv1, Relu Relu1, Pooling Pool1, Affine Affine1, Relu Relu2, Affine Affine2; the file describes Convolution Conv1, Pooling Pool1, Affine Affine1, Relu Relu2, Affine Affine2',
    );
    // A 3×3 pooling of stride 3 is a valid Sequential, but not the book's SimpleConvNet (2×2, stride 2).
    await refuses(
      rewrite(
        bytes,
        (l) => {
          Object.assign(l[2], { pool: [3, 3], stride: 3 });
          l[3].inputs = 16;
        },
        { W2: [16, 12] },
      ),
      /loadModel: the file's layers \(Convolution Conv1, .*\) are not a SimpleConvNet's/,
    );
    await refuses(
      rewrite(bytes, (_l, spec) => (spec.weightDecayLambda = 0.1)),
      'loadModel: a SimpleConvNet has weight decay λ 0; the file says 0.1',
    );
    // The same edit as a Sequential loads: it is the class that does not fit.
    const asSequential = rewrite(
      bytes,
      (l, spec) => {
        spec.class = 'Sequential';
        Object.assign(l[2], { pool: [3, 3], stride: 3 });
        l[3].inputs = 16;
      },
      { W2: [16, 12] },
    );
    const { net } = loadModel(await backendPromise, asSequential);
    expect(net.constructor).toBe(Sequential);
    net.dispose();
  });
});

describe('fixed classes and weight decay', () => {
  it('a TwoLayerNet file that says it has weight decay is refused (it was loaded without it)', async () => {
    const backend = await makeBackend('ts');
    const file = readSafetensors(saveModel(new TwoLayerNet(backend, 4, 3, 2)));
    const spec = { ...JSON.parse(file.metadata.architecture), weightDecayLambda: 0.1 };
    const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: toFloat32(e) }));
    const live = backend.memoryStats().liveTensors;
    expect(() => loadModel(backend, writeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(spec) }))).toThrow(
      'loadModel: a TwoLayerNet has weight decay λ 0; the file says 0.1',
    );
    expect(backend.memoryStats().liveTensors).toBe(live);
  });
});

describe('model files written by an earlier version (before conv layers shared the W count)', () => {
  // Written by main's saveModel at commit cf073e0 (see test/fixtures/README.md).
  const fixture = (file: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${file}`, import.meta.url)));

  /** A file's metadata and each tensor's name, shape and bytes (the optimizer state may come in another order). */
  const contents = (bytes: Uint8Array) => {
    const file = readSafetensors(bytes);
    const tensors = [...file.tensors.values()].map((e) => [e.name, e.dtype, e.shape.join('x'), Array.from(e.bytes).join()].join(' '));
    return { metadata: file.metadata, tensors: tensors.sort() };
  };

  it.each(['main_mlnet_extend_adam.safetensors', 'main_mlp_momentum.safetensors'])(
    '%s loads, and saving it again writes the same tensors under the same names',
    async (file) => {
      const bytes = fixture(file);
      for (const name of BACKEND_NAMES) {
        const { net, optimizer } = loadModel(await makeBackend(name), bytes);
        expect(contents(saveModel(net, { optimizer }))).toEqual(contents(bytes));
      }
    },
  );
});
