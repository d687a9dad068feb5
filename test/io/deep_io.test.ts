import { describe, expect, it } from 'vitest';
import {
  Adam,
  DeepConvNet,
  type DeepConvNetOptions,
  loadModel,
  readSafetensors,
  saveModel,
  Sequential,
  toFloat32,
  writeSafetensors,
  type Backend,
} from '../../ts/index.js';
import { BACKEND_NAMES, makeBackend } from '../helpers/backends.js';
import { batchOf, paramBits } from '../helpers/io_helpers.js';
import type { Json } from '../helpers/json.js';

// saveModel / loadModel for the book's DeepConvNet: it comes back as a DeepConvNet with the same
// convolutions, W1…W8 / b1…b8 bit for bit, and a file that is not one is refused.

/** A narrow DeepConvNet on 1×12×12 inputs (2 to 4 filters per conv, 6 hidden, 5 classes). */
const narrow = (backend: Backend, options: DeepConvNetOptions = {}) =>
  new DeepConvNet(backend, {
    inputDim: [1, 12, 12],
    convParams: [2, 2, 3, 3, 4, 4].map((filterNum) => ({ filterNum })),
    hiddenSize: 6,
    outputSize: 5,
    seed: 9,
    ...options,
  });

function adamSteps(net: Sequential, adam: Adam, steps: number, from = 1): void {
  for (let seed = from; seed < from + steps; seed++) {
    const { x, t } = batchOf(net.params.W1.backend, 6, [1, 12, 12], 5, seed);
    adam.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
}

describe.each(BACKEND_NAMES)('DeepConvNet model files on %s', (name) => {
  it('round-trips a DeepConvNet as a DeepConvNet, bit for bit, W1…W6 the filters, W7 and W8 the affines', async () => {
    const backend = await makeBackend(name);
    const net = narrow(backend, { convParams: [{ filterNum: 2 }, { filterNum: 2 }, { filterNum: 3 }, { filterNum: 3, pad: 1 }, {}, {}] });
    const adam = new Adam({ lr: 0.01 });
    adamSteps(net, adam, 3);
    const bytes = saveModel(net, { optimizer: adam });
    const file = readSafetensors(bytes);
    const keys = [...file.tensors.keys()].filter((k) => !k.startsWith('optimizer.'));
    expect(keys).toEqual([1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [`W${i}`, `b${i}`]));
    expect(file.tensors.get('W4')!.shape).toEqual([3, 3, 3, 3]);
    expect(file.tensors.get('W7')!.shape).toEqual([64 * 1 * 1, 6]); // 12 → 6 → 3 → 1 with pad 1 on conv 4
    const spec = JSON.parse(file.metadata.architecture);
    expect(spec.class).toBe('DeepConvNet');
    expect(spec.layers.filter((l: Json & { type: string }) => l.type === 'Dropout')).toEqual([
      { type: 'Dropout', name: 'Dropout1', ratio: 0.5 },
      { type: 'Dropout', name: 'Dropout2', ratio: 0.5 },
    ]);
    const before = backend.memoryStats().liveTensors;
    const loaded = loadModel(backend, bytes);
    expect(loaded.net).toBeInstanceOf(DeepConvNet);
    const deep = loaded.net as DeepConvNet;
    expect(deep.inputDim).toEqual([1, 12, 12]);
    expect(deep.convParams).toEqual(net.convParams);
    expect(paramBits(deep.params)).toEqual(paramBits(net.params));
    const { x, t } = batchOf(backend, 3, [1, 12, 12], 5, 40);
    expect(deep.predict(x).toArray()).toEqual(net.predict(x).toArray());
    for (const d of [x, t, deep, loaded.optimizer!]) d.dispose();
    expect(backend.memoryStats().liveTensors).toBe(before);
  });

  it('resumes with Adam exactly: a step after save → load equals a step without (no Dropout: its mask generator is not saved)', async () => {
    const backend = await makeBackend(name);
    const net = narrow(backend, { dropoutRatio: 0 });
    const adam = new Adam({ lr: 0.01 });
    adamSteps(net, adam, 2);
    const loaded = loadModel(backend, saveModel(net, { optimizer: adam }));
    adamSteps(net, adam, 1, 50);
    adamSteps(loaded.net, loaded.optimizer as Adam, 1, 50);
    expect(paramBits(loaded.net.params)).toEqual(paramBits(net.params));
  });
});

describe('a file that says DeepConvNet but is not one', () => {
  const backendPromise = makeBackend('ts');

  function rewrite(bytes: Uint8Array, edit: (layers: (Json & Record<string, unknown>)[]) => void): Uint8Array {
    const file = readSafetensors(bytes);
    const spec = JSON.parse(file.metadata.architecture);
    edit(spec.layers);
    const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: toFloat32(e) }));
    return writeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(spec) });
  }

  async function refuses(bytes: Uint8Array, message: string | RegExp): Promise<void> {
    const backend = await backendPromise;
    const live = backend.memoryStats().liveTensors;
    expect(() => loadModel(backend, bytes)).toThrow(message);
    expect(backend.memoryStats().liveTensors, 'what it built is freed').toBe(live);
  }

  it('is refused, naming what a DeepConvNet has, and frees what it built', async () => {
    const bytes = saveModel(narrow(await backendPromise));
    await refuses(
      rewrite(bytes, (l) => l.splice(17, 1)),
      /^loadModel: a DeepConvNet has layers Convolution Conv1, .*, Dropout Dropout2; the file describes .*Relu Relu7, Affine Affine2, Dropout Dropout2$/,
    );
    // two ratios: a DeepConvNet has one for both Dropout layers
    await refuses(
      rewrite(bytes, (l) => (l[19].ratio = 0.25)),
      /^loadModel: the file's layers \(Convolution Conv1, .*\) are not a DeepConvNet's/,
    );
    // the same file as a Sequential loads: it is the class that does not fit
    const file = readSafetensors(rewrite(bytes, (l) => (l[19].ratio = 0.25)));
    const spec = { ...JSON.parse(file.metadata.architecture), class: 'Sequential' };
    const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: toFloat32(e) }));
    const { net } = loadModel(await backendPromise, writeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(spec) }));
    expect(net.constructor).toBe(Sequential);
    net.dispose();
  });
});
