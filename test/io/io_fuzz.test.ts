import { describe, expect, it } from 'vitest';
import {
  Adam,
  loadModel,
  Momentum,
  Random,
  readSafetensors,
  saveModel,
  SimpleConvNet,
  TwoLayerNet,
  type Backend,
  type Sequential,
} from '../../ts/index.js';
import { makeBackend } from '../helpers/backends.js';
import { batchOf, joinFile, splitFile, trainedLookingMlp } from '../helpers/io_helpers.js';

// Seeded mutation fuzz of real saved files (issue 13): truncations, byte flips and edits of the
// header JSON. Every case must end in a clean Error from the library (not a TypeError, a trap
// or a hang) or in a valid net: one whose parameters are exactly the file's f32 values, which
// predicts, and after which the backend holds no tensor it did not hold before.

const CASES = 2400;

/** Errors the library throws on purpose start with the name of the function or the format. */
const CLEAN = /^(safetensors|loadModel|new (Adam|SGD|Momentum|Nesterov|AdaGrad|RMSprop)\(\{)/;

async function seeds(backend: Backend): Promise<Uint8Array[]> {
  const mlp = trainedLookingMlp(backend, [6, 5, 4, 3]);
  const adam = new Adam();
  const { x, t } = batchOf(backend, 4, 6, 3, 1);
  adam.update(mlp.params, mlp.gradient(x, t));
  const two = new TwoLayerNet(backend, 5, 4, 2);
  // a CNN too: the Convolution's and Pooling's geometry (kernel, stride, pad, input) gets mutated
  const cnn = new SimpleConvNet(backend, {
    inputDim: [1, 6, 6],
    filterNum: 2,
    filterSize: 3,
    pad: 1,
    hiddenSize: 4,
    outputSize: 3,
    seed: 2,
  });
  const cnnAdam = new Adam();
  const image = batchOf(backend, 2, [1, 6, 6], 3, 2);
  cnnAdam.update(cnn.params, cnn.gradient(image.x, image.t));
  return [
    saveModel(mlp, { optimizer: adam }),
    saveModel(two, { optimizer: new Momentum() }),
    saveModel(trainedLookingMlp(backend, [3, 2], 'sigmoid')),
    saveModel(cnn, { optimizer: cnnAdam }),
  ];
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)];
}

/** A value that a fuzzer might put in a JSON field. */
function oddValue(random: Random, current: unknown): unknown {
  const n = typeof current === 'number' ? current : 3;
  return pick(random, [n + 1, n - 1, 0, -1, 2 ** 31, 2 ** 53, 1e300, 0.5, NaN, null, '3', [], {}, [n], 'F16', 'BF16', 'I8', 'F32', true]);
}

function editHeader(random: Random, bytes: Uint8Array): Uint8Array {
  const { header, data } = splitFile(bytes);
  const keys = Object.keys(header);
  const key = pick(random, keys);
  const entry = header[key];
  switch (random.int(7)) {
    case 0:
      delete header[key];
      break;
    case 1:
      header[`${key}x`] = entry;
      break;
    case 2: {
      // a field of a tensor entry or of the metadata
      const field = pick(random, Object.keys(entry));
      if (key === '__metadata__' && (field === 'architecture' || field === 'optimizer')) {
        const spec = JSON.parse(entry[field]);
        const target =
          field === 'architecture' && spec.layers.length > 0 && random.int(2)
            ? (pick(random, spec.layers) as Record<string, unknown>)
            : spec;
        const f = pick(random, Object.keys(target));
        target[f] = random.int(5) === 0 ? undefined : oddValue(random, target[f]);
        entry[field] = JSON.stringify(spec);
      } else entry[field] = oddValue(random, entry[field]);
      break;
    }
    case 3:
      if (Array.isArray(entry.shape)) entry.shape = entry.shape.map((d: number) => (random.int(3) === 0 ? oddValue(random, d) : d));
      break;
    case 4:
      if (Array.isArray(entry.data_offsets)) {
        // one end moved (a size mismatch), or both (the same size, overlapping a neighbour or leaving a gap)
        const shift = 4 * (random.int(5) - 2);
        if (random.int(2)) entry.data_offsets[random.int(2)] += shift;
        else entry.data_offsets = entry.data_offsets.map((o: number) => o + shift);
      }
      break;
    case 5:
      header[key] = oddValue(random, entry);
      break;
    default: {
      // swap two tensors' offsets
      const other = header[pick(random, keys)];
      if (entry?.data_offsets && other?.data_offsets) [entry.data_offsets, other.data_offsets] = [other.data_offsets, entry.data_offsets];
    }
  }
  return joinFile(header, data);
}

function mutate(random: Random, seed: Uint8Array): Uint8Array {
  const kind = random.int(5);
  if (kind === 0) return seed.slice(0, random.int(seed.length));
  if (kind === 4) {
    // a non-finite f32 somewhere in the data section
    const out = seed.slice();
    const dataStart = 8 + new DataView(out.buffer).getUint32(0, true);
    const at = dataStart + 4 * random.int((out.length - dataStart) / 4);
    new DataView(out.buffer).setFloat32(at, pick(random, [NaN, Infinity, -Infinity]), true);
    return out;
  }
  if (kind === 1 || kind === 2) {
    const out = seed.slice();
    // Kind 1 flips bytes anywhere; kind 2 in the first 8 + header bytes, where most checks are.
    const limit = kind === 1 ? out.length : Math.min(out.length, 8 + new DataView(out.buffer).getUint32(0, true));
    for (let i = random.int(3); i >= 0; i--) out[random.int(limit)] ^= 1 << random.int(8);
    return out;
  }
  return editHeader(random, seed);
}

/** The f32 values the file holds for a tensor, decoded here without the library's decoder. */
function fileValues(bytes: Uint8Array, name: string): Float32Array {
  const entry = readSafetensors(bytes).tensors.get(name)!;
  const view = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  return Float32Array.from({ length: entry.bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

function checkValidNet(net: Sequential, bytes: Uint8Array, backend: Backend): void {
  for (const [key, param] of Object.entries(net.params)) {
    const values = param.toArray();
    expect(values.every(Number.isFinite), `${key} has a non-finite weight`).toBe(true);
    expect(values).toEqual(fileValues(bytes, key));
  }
  const inputs = net instanceof SimpleConvNet ? net.inputDim : net.params.W1.shape[0];
  const classes = Object.values(net.params).at(-1)!.shape[0];
  const { x, t } = batchOf(backend, 2, inputs, classes, 5);
  expect(net.predict(x).shape).toEqual([2, classes]);
  x.dispose();
  t.dispose();
}

describe('loadModel under a seeded mutation fuzz', () => {
  it(`${CASES} mutated files: each a clean Error or a valid net, nothing leaked`, async () => {
    const backends = [await makeBackend('wasm-simd128'), await makeBackend('ts')];
    const originals = await seeds(backends[1]);
    const random = new Random(2026);
    const outcomes = { refused: 0, loaded: 0, cnnLoaded: 0 };
    const cnnFile = originals[originals.length - 1];
    const messages = new Set<string>();
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      const backend = backends[i % 2];
      const original = pick(random, originals);
      const bytes = mutate(random, original);
      const before = backend.memoryStats().liveTensors;
      let loaded: ReturnType<typeof loadModel> | null = null;
      try {
        loaded = loadModel(backend, bytes);
      } catch (e) {
        const message = (e as Error).message;
        if (!(e instanceof Error) || e.constructor !== Error || !CLEAN.test(message))
          throw new Error(`case ${i}: unclean ${String(e)}\n${(e as Error).stack}`);
        messages.add(message.replace(/\d+/g, 'N').slice(0, 60));
        outcomes.refused++;
      }
      if (loaded) {
        checkValidNet(loaded.net, bytes, backend);
        loaded.net.dispose();
        loaded.optimizer?.dispose();
        outcomes.loaded++;
        if (original === cnnFile) outcomes.cnnLoaded++;
      }
      expect(backend.memoryStats().liveTensors, `case ${i} leaked tensors`).toBe(before);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[io_fuzz] ${CASES} cases in ${seconds.toFixed(2)} s: ${outcomes.refused} refused (${messages.size} distinct messages), ${outcomes.loaded} loaded as valid nets (${outcomes.cnnLoaded} of them the CNN)`,
    );
    // Both outcomes must occur, and the refusals must be varied, or the fuzz is not reaching the checks.
    expect(outcomes.loaded).toBeGreaterThan(50);
    expect(messages.size).toBeGreaterThan(30);
    // The CNN file's geometry is reached: mutated CNN files load, and conv / pooling checks refuse some.
    expect(outcomes.cnnLoaded).toBeGreaterThan(5);
    expect([...messages].filter((m) => /layer '(Conv|Pool)N'/.test(m)).length).toBeGreaterThan(3);
  });
});
