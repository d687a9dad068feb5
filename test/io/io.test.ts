import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  Adam,
  createOptimizer,
  LIBRARY_VERSION,
  loadModel,
  OPTIMIZERS,
  readSafetensors,
  saveModel,
  Sequential,
  TwoLayerNet,
  writeSafetensors,
  Affine,
  Relu,
  type Backend,
  type Optimizer,
  type Tensor,
} from '../../ts/index.js';
import { BACKEND_NAMES, makeBackend } from '../helpers/backends.js';
import { batchOf, joinFile, paramBits, splitFile, trainedLookingMlp } from '../helpers/io_helpers.js';
import type { Json } from '../helpers/json.js';

// saveModel / loadModel: bit-exact round trips on every backend (optimizer resume included),
// and every validation rule of issue 13 with the message it gives.

function step(net: Sequential, optimizer: Optimizer, seed: number): void {
  const classes = Object.values(net.params).at(-1)!.shape[0];
  const { x, t } = batchOf(net.params.W1.backend, 6, net.params.W1.shape[0], classes, seed);
  optimizer.update(net.params, net.gradient(x, t));
  x.dispose();
  t.dispose();
}

describe.each(BACKEND_NAMES)('saveModel / loadModel on %s', (name) => {
  it('round-trips a Sequential.mlp bit for bit, layer names and kinds included', async () => {
    const backend = await makeBackend(name);
    const net = trainedLookingMlp(backend, [7, 5, 4, 3], 'sigmoid');
    const { net: loaded, optimizer } = loadModel(backend, saveModel(net));
    expect(optimizer).toBeUndefined();
    expect(loaded.constructor).toBe(Sequential);
    expect([...loaded.layers.keys()]).toEqual(['Affine1', 'Sigmoid1', 'Affine2', 'Sigmoid2', 'Affine3']);
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
    const { x } = batchOf(backend, 4, 7, 3, 1);
    expect(loaded.predict(x).toArray()).toEqual(net.predict(x).toArray());
  });

  it('round-trips a TwoLayerNet as a TwoLayerNet', async () => {
    const backend = await makeBackend(name);
    const net = new TwoLayerNet(backend, 6, 5, 3, { seed: 3 });
    const { net: loaded } = loadModel(backend, saveModel(net));
    expect(loaded).toBeInstanceOf(TwoLayerNet);
    expect(paramBits(loaded.params)).toEqual(paramBits(net.params));
  });

  it.each(OPTIMIZERS)('resumes %s exactly: a step after save → load equals a step without', async (optimizerName) => {
    const backend = await makeBackend(name);
    const net = trainedLookingMlp(backend, [5, 4, 3]);
    const optimizer = createOptimizer(optimizerName, { lr: 0.05 });
    for (let i = 0; i < 3; i++) step(net, optimizer, 10 + i);
    const saved = saveModel(net, { optimizer });
    const resumed = loadModel(backend, saved);
    expect(resumed.optimizer!.constructor).toBe(optimizer.constructor);
    step(net, optimizer, 99);
    step(resumed.net, resumed.optimizer!, 99);
    expect(paramBits(resumed.net.params)).toEqual(paramBits(net.params));
    if (optimizer instanceof Adam) expect((resumed.optimizer as Adam).iter).toBe(4);
  });

  it('saves an optimizer that has not stepped yet (no state tensors) and resumes from it', async () => {
    const backend = await makeBackend(name);
    const net = trainedLookingMlp(backend, [5, 4, 3]);
    const adam = new Adam({ lr: 0.01, beta1: 0.8 });
    const resumed = loadModel(backend, saveModel(net, { optimizer: adam }));
    expect((resumed.optimizer as Adam).beta1).toBe(0.8);
    step(net, adam, 5);
    step(resumed.net, resumed.optimizer!, 5);
    expect(paramBits(resumed.net.params)).toEqual(paramBits(net.params));
  });
});

describe('saveModel / loadModel across backends and formats', () => {
  it('a model saved on one backend loads on every other with the same bits', async () => {
    const backends: Backend[] = await Promise.all(BACKEND_NAMES.map(makeBackend));
    const bytes = saveModel(trainedLookingMlp(backends[0], [9, 6, 4]));
    const reference = paramBits(loadModel(backends[0], bytes).net.params);
    for (const backend of backends.slice(1)) expect(paramBits(loadModel(backend, bytes).net.params)).toEqual(reference);
  });

  it('writes the metadata of issue 13 and names tensors as the book does', async () => {
    const backend = await makeBackend('ts');
    const file = readSafetensors(saveModel(new TwoLayerNet(backend, 4, 3, 2), { optimizer: new Adam() }));
    expect(file.metadata.format).toBe('backprop-wasm');
    expect(file.metadata.format_version).toBe('1');
    expect(file.metadata.library_version).toBe(LIBRARY_VERSION);
    expect(JSON.parse(file.metadata.architecture)).toEqual({
      class: 'TwoLayerNet',
      layers: [
        { type: 'Affine', name: 'Affine1', inputs: 4, outputs: 3 },
        { type: 'Relu', name: 'Relu1' },
        { type: 'Affine', name: 'Affine2', inputs: 3, outputs: 2 },
      ],
      loss: 'SoftmaxWithLoss',
    });
    expect(JSON.parse(file.metadata.optimizer)).toEqual({ type: 'Adam', lr: 0.001, beta1: 0.9, beta2: 0.999, iter: 0 });
    expect([...file.tensors.keys()]).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(file.tensors.get('W1')!.shape).toEqual([4, 3]);
  });

  it('LIBRARY_VERSION is the package version', () => {
    expect(LIBRARY_VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('the data section starts at a multiple of 8 (as the reference writer pads it)', async () => {
    const bytes = saveModel(trainedLookingMlp(await makeBackend('ts'), [3, 2]));
    expect((8 + new DataView(bytes.buffer).getUint32(0, true)) % 8).toBe(0);
  });

  it('refuses nets and optimizers it cannot rebuild, by name', async () => {
    const backend = await makeBackend('ts');
    class MyNet extends Sequential {}
    const W = backend.zeros([2, 2]);
    const sub = new MyNet([['Affine1', new Affine(W, backend.zeros([2]))]]);
    expect(() => saveModel(sub)).toThrow(/a MyNet cannot be saved/);
    const odd = new Sequential([
      ['Affine1', new Affine(backend.zeros([2, 2]), backend.zeros([2]))],
      [
        'Odd',
        {
          type: 'Odd',
          forward: (x: Tensor) => x,
          backward: (d: Tensor) => d,
          params: () => ({}),
          grads: () => ({}),
          dispose() {},
        } as never,
      ],
    ]);
    expect(() => saveModel(odd)).toThrow(/layer 'Odd' is a Object, which cannot be saved yet/);
    expect(() => saveModel(null as never)).toThrow(/expected a Sequential or TwoLayerNet, got null/);
    const net = new Sequential([
      ['Affine1', new Affine(backend.zeros([2, 2]), backend.zeros([2]))],
      ['Relu1', new Relu()],
    ]);
    expect(() => saveModel(net, { optimizer: { lr: 1, update() {}, dispose() {} } })).toThrow(/cannot save the optimizer a Object/);
  });
});

describe('loadModel refuses bad files with an error naming the problem', () => {
  const backendPromise = makeBackend('wasm-simd128');

  async function valid(): Promise<{ backend: Backend; bytes: Uint8Array }> {
    const backend = await backendPromise;
    return { backend, bytes: saveModel(trainedLookingMlp(backend, [4, 3, 2]), { optimizer: new Adam() }) };
  }

  /** Expects loadModel to throw `message` and to leave the backend's live tensors as they were. */
  async function refuses(bytes: Uint8Array, message: RegExp): Promise<void> {
    const backend = await backendPromise;
    const before = backend.memoryStats().liveTensors;
    expect(() => loadModel(backend, bytes)).toThrow(message);
    expect(backend.memoryStats().liveTensors).toBe(before);
  }

  function withHeader(bytes: Uint8Array, edit: (header: Json) => void): Uint8Array {
    const { header, data } = splitFile(bytes);
    edit(header);
    return joinFile(header, data);
  }

  function withMetadata(bytes: Uint8Array, edit: (metadata: Json) => void): Uint8Array {
    return withHeader(bytes, (h) => edit(h.__metadata__));
  }

  it('a file shorter than 8 bytes', async () => {
    await refuses(new Uint8Array(5), /the file is 5 bytes, shorter than the 8-byte header length/);
  });

  it('a header length over the limit (100 MB for any safetensors file, 8 MiB for a model file), or past the end of the file', async () => {
    const { bytes } = await valid();
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(0, 200_000_000, true);
    expect(() => readSafetensors(huge)).toThrow(/header length at byte 0 says 200000000 bytes, over the 100000000-byte limit$/);
    await refuses(huge, /header length at byte 0 says 200000000 bytes, over the 8388608-byte limit of a backprop-wasm model file/);
    const pastEnd = bytes.slice();
    new DataView(pastEnd.buffer).setUint32(0, bytes.length, true);
    await refuses(
      pastEnd,
      new RegExp(`says ${bytes.length} bytes \\(to byte ${bytes.length + 8}\\) but the file is only ${bytes.length} bytes`),
    );
    const high = bytes.slice();
    new DataView(high.buffer).setUint32(4, 1, true); // 2^32 + n: the high word counts too
    await refuses(high, /over the 8388608-byte limit/);
  });

  it('a file shorter than its header claims (truncated data)', async () => {
    const { bytes } = await valid();
    await refuses(
      bytes.subarray(0, bytes.length - 4),
      /data_offsets \[\d+, \d+\] end past the data section \(\d+ bytes, file bytes \d+\.\.\d+\)/,
    );
  });

  it('header JSON that is not valid, not UTF-8, not an object, or with entries that are not objects', async () => {
    const { bytes } = await valid();
    const { data } = splitFile(bytes);
    await refuses(joinFile('{"W1": {', data), /the header \(file bytes 8\.\.16\) is not valid JSON/);
    await refuses(
      joinFile(new TextDecoder('latin1').decode(new Uint8Array([0x7b, 0xff, 0x7d])), new Uint8Array(0)),
      /is not valid JSON|not valid UTF-8/,
    );
    const badUtf8 = joinFile('{"W1":1}', data);
    badUtf8[10] = 0xff;
    await refuses(badUtf8, /the header \(file bytes 8\.\.16\) is not valid UTF-8/);
    await refuses(joinFile('[1, 2]', data), /must start with '\{', found "\[1, 2\]"/);
    await refuses(
      withHeader(bytes, (h) => (h.W1 = 5)),
      /tensor 'W1': expected an object \{ dtype, shape, data_offsets \}, got number 5/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.extra = 1)),
      /tensor 'W1': unexpected field 'extra'/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.__metadata__ = [1])),
      /__metadata__ must be an object of strings/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.format_version = 1)),
      /__metadata__\['format_version'\] must be a string, got number 1/,
    );
  });

  it('data_offsets that overlap, leave gaps, fall out of range or disagree with shape × dtype size', async () => {
    const { bytes } = await valid();
    const { header } = splitFile(bytes);
    const w1End = header.W1.data_offsets[1];
    // b1 starts 4 bytes early: overlaps W1 (and its own size still matches, so the overlap is the problem found)
    await refuses(
      withHeader(bytes, (h) => (h.b1.data_offsets = h.b1.data_offsets.map((o: number) => o - 4))),
      new RegExp(`tensor 'b1' data_offsets \\[${w1End - 4}, \\d+\\] overlap tensor 'W1', which ends at ${w1End} \\(file byte \\d+\\)`),
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.data_offsets = [4, h.W1.data_offsets[1] + 4])),
      /a gap of 4 bytes at the start of the data section \(file bytes \d+\.\.\d+\): tensor 'W1' starts at 4, expected 0/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.data_offsets = [0, 1e15])),
      /shape \[4, 3\] of F32 \(4 bytes each\) needs 48 bytes but data_offsets \[0, 1000000000000000\] span 1000000000000000/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.shape = [4, 4])),
      /tensor 'W1': shape \[4, 4\] of F32 \(4 bytes each\) needs 64 bytes but data_offsets \[0, 48\] span 48/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.shape = [2 ** 40, 2 ** 40])),
      /needs 4\.8\d*e\+24 bytes but data_offsets \[0, 48\] span 48/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.data_offsets = [10, 2])),
      /data_offsets must be \[begin, end\] with 0 ≤ begin ≤ end, got \[10, 2\]/,
    );
    await refuses(
      withHeader(bytes, (h) => (h.W1.shape = [-1, 3])),
      /shape must be an array of non-negative integers, got \[-1, 3\]/,
    );
    const padded = withHeader(bytes, () => {});
    await refuses(
      joinFile(splitFile(padded).header, new Uint8Array([...splitFile(padded).data, 0, 0, 0, 0])),
      /4 bytes at file bytes \d+\.\.\d+ belong to no tensor/,
    );
  });

  it('unknown dtypes, and dtypes a model file does not hold', async () => {
    const { bytes } = await valid();
    await refuses(
      withHeader(bytes, (h) => (h.W1.dtype = 'F128')),
      /tensor 'W1': unknown dtype "F128" \(expected one of BOOL, U8/,
    );
    // Same byte size, valid for safetensors, but a model file is F32.
    await refuses(
      withHeader(bytes, (h) => (h.W1.dtype = 'I32')),
      /tensor 'W1' is I32; model files hold F32/,
    );
  });

  it('shapes that disagree with the architecture, and missing or extra tensors', async () => {
    const { backend, bytes } = await valid();
    const other = saveModel(trainedLookingMlp(backend, [4, 5, 2]));
    const otherArchitecture = readSafetensors(other).metadata.architecture;
    await refuses(
      withMetadata(bytes, (m) => (m.architecture = otherArchitecture)),
      /tensor 'W1' has shape \[4, 3\] but the architecture needs \[4, 5\]/,
    );
    const file = readSafetensors(bytes);
    const tensors = [...file.tensors.values()].map((e) => ({
      name: e.name,
      shape: e.shape,
      data: new Float32Array(e.bytes.slice().buffer),
    }));
    await refuses(
      writeSafetensors(
        tensors.filter((t) => t.name !== 'b2'),
        file.metadata,
      ),
      /the architecture needs tensors the file lacks: b2/,
    );
    await refuses(
      writeSafetensors([...tensors, { name: 'W9', shape: [1], data: new Float32Array(1) }], file.metadata),
      /tensors the architecture does not use: W9/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.architecture = JSON.stringify({ ...JSON.parse(m.architecture), class: 'ResNet' }))),
      /unknown net class "ResNet"/,
    );
    const arch = JSON.parse(file.metadata.architecture);
    arch.layers[2].inputs = 7;
    await refuses(
      withMetadata(bytes, (m) => (m.architecture = JSON.stringify(arch))),
      /layer 'Affine2' takes 7 inputs but the layer before it gives 3/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.architecture = '{"class":')),
      /__metadata__\.architecture is not valid JSON/,
    );
  });

  it('non-finite weights, with the element and its byte offset', async () => {
    const { bytes } = await valid();
    const file = readSafetensors(bytes);
    const b1 = file.tensors.get('b1')!;
    const broken = bytes.slice();
    new DataView(broken.buffer).setFloat32(b1.fileOffset + 4, NaN, true);
    await refuses(broken, new RegExp(`tensor 'b1' element 1 \\(file byte ${b1.fileOffset + 4}\\) is NaN; weights must be finite`));
    new DataView(broken.buffer).setFloat32(b1.fileOffset + 4, -Infinity, true);
    await refuses(broken, /element 1 \(file byte \d+\) is -Infinity/);
  });

  it('metadata from another format or a newer format version', async () => {
    const { bytes } = await valid();
    await refuses(
      withMetadata(bytes, (m) => (m.format = 'pt')),
      /expected a backprop-wasm model file, found format "pt"/,
    );
    await refuses(
      withHeader(bytes, (h) => delete h.__metadata__),
      /found no __metadata__\.format \(a PyTorch nn\.Sequential file loads with importTorchMlp\)/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.format_version = '2')),
      /the file has format version 2 \(written by backprop-wasm 0\.1\.0\); this version \(0\.1\.0\) reads up to 1/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.format_version = 'one')),
      /expected format_version to be a positive integer, got "one"/,
    );
  });

  it('optimizer metadata and state that do not fit', async () => {
    const { backend } = await valid();
    const net = trainedLookingMlp(backend, [4, 3, 2]);
    const adam = new Adam();
    step(net, adam, 1);
    const bytes = saveModel(net, { optimizer: adam });
    await refuses(
      withMetadata(bytes, (m) => (m.optimizer = JSON.stringify({ type: 'Adam', lr: -1, iter: 1 }))),
      /new Adam\(\{ lr \}\): expected a number > 0, got -1/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.optimizer = JSON.stringify({ type: 'Adam', lr: 0.1, iter: 1.5 }))),
      /Adam\.iter must be a non-negative integer, got 1\.5/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.optimizer = JSON.stringify({ type: 'Momentum', lr: 0.1 }))),
      /tensor 'optimizer\.m\.W1' is not state of a Momentum/,
    );
    await refuses(
      withMetadata(bytes, (m) => (m.optimizer = JSON.stringify({ type: 'Lion' }))),
      /unknown optimizer type "Lion"/,
    );
    await refuses(
      withMetadata(bytes, (m) => delete m.optimizer),
      /has optimizer state \(optimizer\.m\.W1, …\) but no optimizer metadata/,
    );
    const file = readSafetensors(bytes);
    const tensors = [...file.tensors.values()].map((e) => ({
      name: e.name,
      shape: e.shape,
      data: new Float32Array(e.bytes.slice().buffer),
    }));
    await refuses(
      writeSafetensors(
        tensors.filter((t) => t.name !== 'optimizer.v.b2'),
        file.metadata,
      ),
      /the architecture needs tensors the file lacks: optimizer\.v\.b2/,
    );
  });

  it('not bytes, not a backend', async () => {
    const { backend, bytes } = await valid();
    expect(() => loadModel(backend, 'model.safetensors' as never)).toThrow(/expected the file as a Uint8Array, got "model\.safetensors"/);
    expect(() => loadModel({} as never, bytes)).toThrow(/loadModel: expected a Backend/);
  });

  it('the backend still works after every refusal', async () => {
    const { backend, bytes } = await valid();
    expect(() => loadModel(backend, bytes.subarray(0, 20))).toThrow();
    const { net } = loadModel(backend, bytes);
    expect(net.params.W1.shape).toEqual([4, 3]);
  });
});
