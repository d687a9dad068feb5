import { describe, expect, it } from 'vitest';
import {
  Adam,
  Affine,
  BatchNormalization,
  type Dropout,
  loadModel,
  MultiLayerNetExtend,
  readSafetensors,
  Relu,
  saveModel,
  Sequential,
  toFloat32,
  writeSafetensors,
  type Backend,
} from '../../ts/index.js';
import { BACKEND_NAMES, makeBackend } from '../helpers/backends.js';
import { batchOf, paramBits } from '../helpers/io_helpers.js';

// saveModel / loadModel for the chapter-6 layers and net: BatchNormalization keeps γ, β and its
// running statistics, Dropout its ratio, a net its weight decay λ; MultiLayerNetExtend comes back
// as a MultiLayerNetExtend.

function trained(backend: Backend, options: ConstructorParameters<typeof MultiLayerNetExtend>[4]): MultiLayerNetExtend {
  const net = new MultiLayerNetExtend(backend, 7, [6, 5], 3, { seed: 4, ...options });
  const adam = new Adam({ lr: 0.01 });
  for (let seed = 1; seed <= 5; seed++) {
    const { x, t } = batchOf(backend, 8, 7, 3, seed);
    adam.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
  adam.dispose();
  return net;
}

const bits = (values: Float32Array) => [...new Uint32Array(values.slice().buffer)];

describe.each(BACKEND_NAMES)('chapter-6 models on %s', (name) => {
  it('round-trips a MultiLayerNetExtend with BatchNorm, Dropout and weight decay bit for bit, running statistics included', async () => {
    const backend = await makeBackend(name);
    const net = trained(backend, { useBatchnorm: true, useDropout: true, dropoutRatio: 0.3, weightDecayLambda: 0.01 });
    const norm = net.layers.get('BatchNorm2') as BatchNormalization;
    expect(norm.runningVar.toArray().some((v) => v !== 0)).toBe(true);
    const bytes = saveModel(net);
    expect([...readSafetensors(bytes).tensors.keys()]).toEqual(expect.arrayContaining(['gamma1', 'beta2', 'runningMean1', 'runningVar2']));
    const { x, t } = batchOf(backend, 4, 7, 3, 9);
    const before = backend.memoryStats().liveTensors;
    const { net: loaded } = loadModel(backend, bytes);
    expect(loaded).toBeInstanceOf(MultiLayerNetExtend);
    expect([...loaded.layers.keys()]).toEqual([...net.layers.keys()]);
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
    const loadedNorm = loaded.layers.get('BatchNorm2') as BatchNormalization;
    expect(bits(loadedNorm.runningMean.data)).toEqual(bits(norm.runningMean.data));
    expect(bits(loadedNorm.runningVar.data)).toEqual(bits(norm.runningVar.data));
    expect((loaded.layers.get('Dropout1') as Dropout).ratio).toBe(0.3);
    expect(loaded.weightDecayLambda).toBe(0.01);
    expect(loaded.predict(x).toArray()).toEqual(net.predict(x).toArray()); // test mode: the running statistics
    expect(loaded.loss(x, t)).toBe(net.loss(x, t));
    loaded.dispose();
    expect(backend.memoryStats().liveTensors).toBe(before); // params, running statistics and the layers' buffers all freed
  });

  it('round-trips a hand-built Sequential with a BatchNormalization (momentum kept) and its weight decay', async () => {
    const backend = await makeBackend(name);
    const W = backend.tensor(
      Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2),
      [4, 3],
    );
    const norm = new BatchNormalization(backend.tensor([1, 2, 3], [3]), backend.tensor([0, 0.5, -1], [3]), { momentum: 0.75 });
    norm.forward(
      backend.tensor([
        [1, 2, 3],
        [3, 1, 0],
      ]),
    );
    const net = new Sequential(
      [
        ['fc', new Affine(W, backend.zeros([3]))],
        ['bn', norm],
        ['act', new Relu()],
      ],
      undefined,
      { weightDecayLambda: 0.5 },
    );
    const { net: loaded } = loadModel(backend, saveModel(net));
    expect(loaded.constructor).toBe(Sequential);
    expect((loaded.layers.get('bn') as BatchNormalization).momentum).toBe(0.75);
    expect([...(loaded.layers.get('bn') as BatchNormalization).runningMean.data]).toEqual([...norm.runningMean.data]);
    expect(loaded.weightDecayLambda).toBe(0.5);
    expect(saveModel(new Sequential([['fc', new Affine(W, backend.zeros([3]))]])).length).toBeGreaterThan(0);
  });

  it('refuses a file whose chapter-6 fields or layers are wrong, naming them', async () => {
    const backend = await makeBackend(name);
    const net = trained(backend, { useBatchnorm: true, useDropout: true });
    const file = readSafetensors(saveModel(net));
    const rewrite = (edit: (spec: { layers: Record<string, unknown>[]; weightDecayLambda?: unknown }) => void) => {
      const spec = JSON.parse(file.metadata.architecture);
      edit(spec);
      const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: toFloat32(e) }));
      return writeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(spec) });
    };
    expect(() =>
      loadModel(
        backend,
        rewrite((s) => (s.layers[3].ratio = 1.5)),
      ),
    ).toThrow("loadModel: layer 'Dropout1': expected a ratio from 0 up to (not including) 1, got 1.5");
    expect(() =>
      loadModel(
        backend,
        rewrite((s) => (s.layers[1].features = 5)),
      ),
    ).toThrow("loadModel: layer 'BatchNorm1' normalises 5 features but the layer before it gives 6");
    expect(() =>
      loadModel(
        backend,
        rewrite((s) => (s.layers[1].momentum = 'fast')),
      ),
    ).toThrow('loadModel: layer \'BatchNorm1\': expected momentum from 0 to 1, got a string ("fast")');
    expect(() =>
      loadModel(
        backend,
        rewrite((s) => (s.weightDecayLambda = -1)),
      ),
    ).toThrow('loadModel: the architecture: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got -1');
    const live = backend.memoryStats().liveTensors;
    expect(() =>
      loadModel(
        backend,
        rewrite((s) => s.layers.splice(3, 1)),
      ),
    ).toThrow("are not a MultiLayerNetExtend's");
    expect(backend.memoryStats().liveTensors).toBe(live); // nothing leaked by the refused build
  });
});
