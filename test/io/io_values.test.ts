import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AdaGrad,
  Adam,
  Affine,
  BatchNormalization,
  type Dropout,
  loadModel,
  Momentum,
  MultiLayerNetExtend,
  Nesterov,
  readSafetensors,
  RMSprop,
  saveModel,
  Sequential,
  SGD,
  type Backend,
  type Optimizer,
} from '../../ts/index.js';
import { loadModelFile } from '../../ts/io/node.js';
import { makeBackend } from '../helpers/backends.js';
import { batchOf, joinFile, splitFile } from '../helpers/io_helpers.js';
import type { Json } from '../helpers/json.js';

// Issue 19.3: model files are checked by value, not only by shape, and every refusal comes
// before the backend allocates anything (no tensor, so no layer and no net either): a negative
// running variance or squared-gradient state, an Adam that has stepped but lost its state, and
// hyper-parameters the constructors refuse (lr 0, β1 2, λ 1e308) all used to load, or to fail
// only after the net was allocated. Each limit is pinned from both sides: the value at the limit
// loads, the one just past it is refused.

const backendPromise = makeBackend('ts');
afterEach(() => vi.restoreAllMocks());

/** A MultiLayerNetExtend with BatchNorm and Dropout, trained 2 steps by `optimizer`, saved with it. */
async function fileWith(optimizer: Optimizer = new Adam({ lr: 0.01 })): Promise<Uint8Array> {
  const backend = await backendPromise;
  const net = new MultiLayerNetExtend(backend, 5, [4], 3, { useBatchnorm: true, useDropout: true, dropoutRatio: 0.25, seed: 3 });
  for (let seed = 1; seed <= 2; seed++) {
    const { x, t } = batchOf(backend, 6, 5, 3, seed);
    optimizer.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
  const bytes = saveModel(net, { optimizer });
  net.dispose();
  optimizer.dispose();
  return bytes;
}

/** The file with element `index` of tensor `name` set to `value`. */
function withValue(bytes: Uint8Array, name: string, value: number, index = 0): Uint8Array {
  const out = bytes.slice();
  const entry = readSafetensors(out).tensors.get(name)!;
  new DataView(out.buffer).setFloat32(entry.fileOffset + 4 * index, value, true);
  return out;
}

function withArchitecture(bytes: Uint8Array, edit: (spec: Json) => void): Uint8Array {
  const { header, data } = splitFile(bytes);
  const spec = JSON.parse(header.__metadata__.architecture);
  edit(spec);
  header.__metadata__.architecture = JSON.stringify(spec);
  return joinFile(header, data);
}

function withOptimizer(bytes: Uint8Array, edit: (spec: Json) => void): Uint8Array {
  const { header, data } = splitFile(bytes);
  const spec = JSON.parse(header.__metadata__.optimizer);
  edit(spec);
  header.__metadata__.optimizer = JSON.stringify(spec);
  return joinFile(header, data);
}

/** The file without the optimizer's state tensors. */
function withoutState(bytes: Uint8Array): Uint8Array {
  const file = readSafetensors(bytes);
  const { header } = splitFile(bytes);
  const kept = [...file.tensors.values()].filter((e) => !e.name.startsWith('optimizer.'));
  let offset = 0;
  const entries: Record<string, unknown> = { __metadata__: header.__metadata__ };
  for (const e of kept) {
    entries[e.name] = { dtype: 'F32', shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const data = new Uint8Array(offset);
  offset = 0;
  for (const e of kept) {
    data.set(e.bytes, offset);
    offset += e.bytes.length;
  }
  return joinFile(entries, data);
}

/** Expects loadModel to refuse with `message` having allocated nothing at all on the backend. */
async function refusedBeforeAllocating(bytes: Uint8Array, message: RegExp | string): Promise<void> {
  const backend = await backendPromise;
  const zeros = vi.spyOn(backend, 'zeros'); // every tensor (backend.tensor too) starts as zeros
  expect(() => loadModel(backend, bytes)).toThrow(message);
  expect(zeros).not.toHaveBeenCalled();
  zeros.mockRestore();
}

async function loads(bytes: Uint8Array): Promise<ReturnType<typeof loadModel>> {
  const backend: Backend = await backendPromise;
  const loaded = loadModel(backend, bytes);
  loaded.net.dispose();
  loaded.optimizer?.dispose();
  return loaded;
}

describe('loadModel checks values before allocating', () => {
  it('a BatchNorm running variance below 0 is refused, with the tensor, element and byte; 0 loads', async () => {
    const bytes = await fileWith();
    const entry = readSafetensors(bytes).tensors.get('runningVar1')!;
    await refusedBeforeAllocating(
      withValue(bytes, 'runningVar1', -1, 2),
      `loadModel: tensor 'runningVar1' element 2 (file byte ${entry.fileOffset + 8}) is -1; expected ≥ 0 (a running variance)`,
    );
    await refusedBeforeAllocating(
      withValue(bytes, 'runningVar1', -1e-30),
      /tensor 'runningVar1' element 0 .* is -1(\.\d+)?e-30; expected ≥ 0/,
    );
    await refusedBeforeAllocating(withValue(bytes, 'runningVar1', NaN), /tensor 'runningVar1' element 0 .* is NaN; weights must be finite/);
    await loads(withValue(bytes, 'runningVar1', 0));
    await loads(withValue(bytes, 'runningMean1', -1)); // a mean may be negative
  });

  it("a squared-gradient state below 0 is refused (Adam's v, AdaGrad's and RMSprop's h); signed states load", async () => {
    const adam = await fileWith(new Adam({ lr: 0.01 }));
    await refusedBeforeAllocating(
      withValue(adam, 'optimizer.v.W1', -1),
      /tensor 'optimizer\.v\.W1' element 0 \(file byte \d+\) is -1; expected ≥ 0 \(Adam's v, built from squared gradients\)/,
    );
    await loads(withValue(adam, 'optimizer.v.W1', 0));
    await loads(withValue(adam, 'optimizer.m.W1', -1));
    const adagrad = await fileWith(new AdaGrad());
    await refusedBeforeAllocating(
      withValue(adagrad, 'optimizer.h.b2', -0.5),
      /tensor 'optimizer\.h\.b2' element 0 .* is -0\.5; expected ≥ 0 \(AdaGrad's h/,
    );
    await loads(withValue(adagrad, 'optimizer.h.b2', 0));
    const rmsprop = await fileWith(new RMSprop());
    await refusedBeforeAllocating(
      withValue(rmsprop, 'optimizer.h.gamma1', -2),
      /tensor 'optimizer\.h\.gamma1' element 0 .* is -2; expected ≥ 0 \(RMSprop's h/,
    );
    await loads(withValue(await fileWith(new Momentum()), 'optimizer.v.W1', -1));
    await loads(withValue(await fileWith(new Nesterov()), 'optimizer.v.W1', -1));
  });

  it('an Adam that has stepped must come with its state; one that has not loads without', async () => {
    const stripped = withoutState(await fileWith(new Adam()));
    await refusedBeforeAllocating(
      stripped,
      'loadModel: __metadata__.optimizer says Adam has done 2 updates, but the file has none of its state (expected tensors optimizer.m.<param> and optimizer.v.<param>)',
    );
    await refusedBeforeAllocating(
      withOptimizer(stripped, (s) => (s.iter = 1)),
      /Adam has done 1 updates, but the file has none of its state/,
    );
    const fresh = await loads(withOptimizer(stripped, (s) => (s.iter = 0)));
    expect((fresh.optimizer as Adam).iter).toBe(0);
  });

  it('a Dropout ratio must be below 1', async () => {
    const bytes = await fileWith();
    await refusedBeforeAllocating(
      withArchitecture(bytes, (s) => (s.layers[3].ratio = 1)),
      "loadModel: layer 'Dropout1': expected a ratio from 0 up to (not including) 1, got 1",
    );
    await refusedBeforeAllocating(
      withArchitecture(bytes, (s) => (s.layers[3].ratio = -0.01)),
      'got -0.01',
    );
    const ratio = (loaded: ReturnType<typeof loadModel>) => (loaded.net.layers.get('Dropout1') as Dropout).ratio;
    expect(ratio(await loads(withArchitecture(bytes, (s) => (s.layers[3].ratio = 0.99))))).toBe(0.99);
    expect(ratio(await loads(withArchitecture(bytes, (s) => (s.layers[3].ratio = 0))))).toBe(0);
  });

  it('a BatchNorm momentum outside [0, 1] and a weight decay λ beyond f32 are refused before allocating', async () => {
    const bytes = await fileWith();
    await refusedBeforeAllocating(
      withArchitecture(bytes, (s) => (s.layers[1].momentum = 1.01)),
      "loadModel: layer 'BatchNorm1': expected momentum from 0 to 1, got 1.01",
    );
    await refusedBeforeAllocating(
      withArchitecture(bytes, (s) => (s.weightDecayLambda = 1e308)),
      'loadModel: the architecture: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got 1e+308',
    );
    await refusedBeforeAllocating(
      withArchitecture(bytes, (s) => (s.weightDecayLambda = -1e-9)),
      'got -1e-9',
    );
    // a hand-built Sequential keeps any momentum (a MultiLayerNetExtend's is always 0.9)
    const backend = await backendPromise;
    const norm = new BatchNormalization(backend.tensor([1, 2], [2]), backend.zeros([2]), { momentum: 0.5 });
    const sequential = saveModel(
      new Sequential([
        ['fc', new Affine(backend.zeros([3, 2]), backend.zeros([2]))],
        ['bn', norm],
      ]),
    );
    const momentum = (loaded: ReturnType<typeof loadModel>) => (loaded.net.layers.get('bn') as BatchNormalization).momentum;
    expect(momentum(await loads(withArchitecture(sequential, (s) => (s.layers[1].momentum = 1))))).toBe(1);
    expect(momentum(await loads(withArchitecture(sequential, (s) => (s.layers[1].momentum = 0))))).toBe(0);
    expect((await loads(withArchitecture(bytes, (s) => (s.weightDecayLambda = 0.5)))).net.weightDecayLambda).toBe(0.5);
  });

  it("optimizer hyper-parameters the constructors refuse are refused by the constructors' own checks, before allocating", async () => {
    const adam = await fileWith(new Adam());
    const edit = (fields: Record<string, number>) => withOptimizer(adam, (s) => Object.assign(s, fields));
    await refusedBeforeAllocating(edit({ lr: 0 }), 'loadModel: __metadata__.optimizer: new Adam({ lr }): expected a number > 0, got 0');
    await refusedBeforeAllocating(
      edit({ lr: 1e39 }),
      /__metadata__\.optimizer: new Adam\(\{ lr \}\): expected a finite lr, got 1e\+39, which is beyond the f32 range/,
    );
    await refusedBeforeAllocating(
      edit({ beta1: 2 }),
      'loadModel: __metadata__.optimizer: new Adam({ beta1 }): expected a number in [0, 1), got 2',
    );
    await refusedBeforeAllocating(edit({ beta1: 1 }), 'new Adam({ beta1 }): expected a number in [0, 1), got 1');
    await refusedBeforeAllocating(edit({ beta2: 1 }), 'new Adam({ beta2 }): expected a number in [0, 1), got 1');
    expect(((await loads(edit({ beta1: 0 }))).optimizer as Adam).beta1).toBe(0);
    const rmsprop = await fileWith(new RMSprop());
    await refusedBeforeAllocating(
      withOptimizer(rmsprop, (s) => (s.decayRate = 2)),
      'loadModel: __metadata__.optimizer: new RMSprop({ decayRate }): expected a number in [0, 1), got 2',
    );
    const momentum = await fileWith(new Momentum());
    await refusedBeforeAllocating(
      withOptimizer(momentum, (s) => (s.momentum = 1)),
      'new Momentum({ momentum }): expected a number in [0, 1), got 1',
    );
    const sgd = await fileWith(new SGD());
    await refusedBeforeAllocating(
      withOptimizer(sgd, (s) => (s.lr = 0)),
      'loadModel: __metadata__.optimizer: new SGD({ lr }): expected a positive learning rate, got 0',
    );
    await refusedBeforeAllocating(
      withOptimizer(sgd, (s) => (s.lr = 1e39)),
      /new SGD\(\{ lr \}\): expected a finite learning rate, got 1e\+39/,
    );
    expect((await loads(withOptimizer(sgd, (s) => (s.lr = 1e-30)))).optimizer!.lr).toBe(1e-30);
  });

  it('loadModelFile names the file in front of the field', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'backprop-values-')), 'model.safetensors');
    writeFileSync(path, withValue(await fileWith(), 'runningVar1', -3));
    await expect(loadModelFile(await backendPromise, path)).rejects.toThrow(`${path}: loadModel: tensor 'runningVar1' element 0`);
  });
});
