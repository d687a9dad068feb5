import { afterEach, describe, expect, it, vi } from 'vitest';
import { Affine, loadModel, readSafetensors, saveModel, Sequential, type Backend } from '../../ts/index.js';
import { MODEL_JSON_DEPTH, MODEL_MAX_HEADER_BYTES, MODEL_MAX_TENSORS } from '../../ts/io/model.js';
import { HEADER_DEPTH } from '../../ts/io/safetensors.js';
import { makeBackend } from '../helpers/backends.js';
import { joinFile, splitFile, trainedLookingMlp } from '../helpers/io_helpers.js';

// Issue 19.3: a hostile header is refused before it is parsed, in milliseconds and bounded
// memory. A 100 MB header of 1.7 M empty tensors used to take 10–45 s and 1–1.7 GiB before
// "not a backprop-wasm model file"; 100k nested arrays went straight to JSON.parse. Each limit
// is pinned from both sides (at the limit: read on; one past it: refused), and the refusals
// that must come before parsing are checked to have called JSON.parse on nothing.

const backendPromise = makeBackend('ts');
afterEach(() => vi.restoreAllMocks());

const METADATA = { format: 'backprop-wasm', format_version: '1' };
const emptyEntry = (dtype = 'F32') => ({ dtype, shape: [0], data_offsets: [0, 0] });

/** A file of `count` empty tensors (and `metadata`, when given), built as text: fast at 30k entries. */
function emptyTensors(count: number, metadata: Record<string, string> | null, dtype = 'F32'): Uint8Array {
  const entry = JSON.stringify(emptyEntry(dtype));
  const parts = metadata ? [`"__metadata__":${JSON.stringify(metadata)}`] : [];
  for (let i = 0; i < count; i++) parts.push(`"t${i}":${entry}`);
  return joinFile(`{${parts.join(',')}}`, new Uint8Array(0));
}

/** `bytes` with its header padded with spaces (valid JSON whitespace) to exactly `length` bytes. */
function padHeader(bytes: Uint8Array, length: number): Uint8Array {
  const { header, data } = splitFile(bytes);
  const text = JSON.stringify(header);
  return joinFile(text + ' '.repeat(length - new TextEncoder().encode(text).length), data);
}

/** Expects `read` to throw `message` without JSON.parse ever running, within `ms`. */
function refusedUnparsed(read: () => unknown, message: RegExp | string, ms = 1000): void {
  const parse = vi.spyOn(JSON, 'parse');
  const started = performance.now();
  expect(read).toThrow(message);
  expect(performance.now() - started).toBeLessThan(ms);
  expect(parse).not.toHaveBeenCalled();
  parse.mockRestore();
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('model file headers: bounded before parsing', () => {
  it(`more than ${MODEL_MAX_TENSORS} tensors: refused before JSON.parse; exactly that many pass the count (the format check comes next, before any entry)`, async () => {
    const backend = await backendPromise;
    refusedUnparsed(
      () => loadModel(backend, emptyTensors(MODEL_MAX_TENSORS + 1, METADATA)),
      `safetensors: expected at most ${MODEL_MAX_TENSORS} tensors (the limit of a backprop-wasm model file), found more in the header`,
    );
    // without __metadata__ the scan's count (which includes it) lets one more through: refused right after parsing
    expect(() => loadModel(backend, emptyTensors(MODEL_MAX_TENSORS + 1, null))).toThrow(`expected at most ${MODEL_MAX_TENSORS} tensors`);
    // at the limit, with entries that are all invalid: the foreign marker is what is reported
    expect(() => loadModel(backend, emptyTensors(MODEL_MAX_TENSORS, { format: 'pt' }, 'F128'))).toThrow(
      'loadModel: expected a backprop-wasm model file, found format "pt"',
    );
    expect(() => loadModel(backend, emptyTensors(MODEL_MAX_TENSORS, { ...METADATA, format_version: '9' }, 'F128'))).toThrow(
      'the file has format version 9',
    );
    // at the limit, a real model plus stray tensors: refused for those, in a message of bounded length
    const { header, data } = splitFile(saveModel(trainedLookingMlp(backend, [2, 2])));
    for (let i = 0; i < MODEL_MAX_TENSORS - 2; i++)
      header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [data.length, data.length] };
    expect(() => loadModel(backend, joinFile(header, data))).toThrow(
      `loadModel: the file has tensors the architecture does not use: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, … (${MODEL_MAX_TENSORS - 2} in all)`,
    );
    // readSafetensors alone (a PyTorch file) has no tensor limit beyond its header's size
    expect(readSafetensors(emptyTensors(MODEL_MAX_TENSORS + 1, null)).tensors.size).toBe(MODEL_MAX_TENSORS + 1);
  });

  it(`a header of ${MODEL_MAX_HEADER_BYTES} bytes loads; one byte more is refused before it is decoded`, async () => {
    const backend = await backendPromise;
    const bytes = saveModel(trainedLookingMlp(backend, [4, 3, 2]));
    const { net } = loadModel(backend, padHeader(bytes, MODEL_MAX_HEADER_BYTES));
    expect(net.params.W1.shape).toEqual([4, 3]);
    net.dispose();
    const over = padHeader(bytes, MODEL_MAX_HEADER_BYTES + 1);
    refusedUnparsed(
      () => loadModel(backend, over),
      `safetensors: the header length at byte 0 says ${MODEL_MAX_HEADER_BYTES + 1} bytes, over the ${MODEL_MAX_HEADER_BYTES}-byte limit of a backprop-wasm model file`,
      200,
    );
  });

  it(`a header nested deeper than ${HEADER_DEPTH} levels is refused before JSON.parse; brackets inside strings do not count`, async () => {
    const backend = await backendPromise;
    refusedUnparsed(
      () => loadModel(backend, joinFile(`{"a":${nested(100_000)}}`, new Uint8Array(0))),
      /^safetensors: the header nests deeper than 3 levels at character 7 \(expected an object of tensor entries, each with flat shape and data_offsets arrays\)$/,
      200,
    );
    const one = (shape: unknown, name = 't') => joinFile({ [name]: { dtype: 'F32', shape, data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(readSafetensors(one([1])).tensors.get('t')!.shape).toEqual([1]); // depth 3: an ordinary file
    refusedUnparsed(() => readSafetensors(one([[1]])), /nests deeper than 3 levels at character 29/);
    expect([...readSafetensors(one([1], 'x"[[[[{{{{\\')).tensors.keys()]).toEqual(['x"[[[[{{{{\\']);
  });

  it(`architecture and optimizer JSON nested deeper than ${MODEL_JSON_DEPTH} levels are refused before they are parsed`, async () => {
    const backend = await backendPromise;
    const bytes = saveModel(trainedLookingMlp(backend, [4, 3, 2]));
    const withMetadata = (field: string, text: string) => {
      const { header, data } = splitFile(bytes);
      header.__metadata__[field] = text;
      return joinFile(header, data);
    };
    for (const field of ['architecture', 'optimizer']) {
      const deep = withMetadata(field, nested(100_000));
      const parse = vi.spyOn(JSON, 'parse');
      expect(() => loadModel(backend, deep)).toThrow(
        `loadModel: __metadata__.${field} nests deeper than ${MODEL_JSON_DEPTH} levels at character ${MODEL_JSON_DEPTH} (expected JSON such as saveModel writes)`,
      );
      expect(parse).toHaveBeenCalledTimes(field === 'architecture' ? 1 : 2); // the header (and the architecture before the optimizer) only
      parse.mockRestore();
      expect(() => loadModel(backend, withMetadata(field, nested(MODEL_JSON_DEPTH + 1)))).toThrow('nests deeper than');
      // at the limit it is parsed, and refused for what it is
      expect(() => loadModel(backend, withMetadata(field, nested(MODEL_JSON_DEPTH)))).toThrow(
        field === 'architecture' ? 'the architecture must be a JSON object' : 'the optimizer metadata must be a JSON object',
      );
    }
  });

  it(`saveModel writes nets of up to ${MODEL_MAX_TENSORS} tensors, which load back, and refuses bigger ones (they would not load)`, async () => {
    const backend: Backend = await backendPromise;
    const chain = (layers: number) =>
      new Sequential(
        Array.from({ length: layers }, (_, i) => [`fc${i}`, new Affine(backend.tensor([i], [1, 1]), backend.zeros([1]))] as const),
      );
    const most = chain(MODEL_MAX_TENSORS / 2);
    const { net } = loadModel(backend, saveModel(most));
    expect(Object.keys(net.params)).toHaveLength(MODEL_MAX_TENSORS);
    expect(net.params[`W${MODEL_MAX_TENSORS / 2}`].toArray()).toEqual(Float32Array.of(MODEL_MAX_TENSORS / 2 - 1));
    net.dispose();
    most.dispose();
    const over = chain(MODEL_MAX_TENSORS / 2 + 1);
    expect(() => saveModel(over)).toThrow(`saveModel: the net needs ${MODEL_MAX_TENSORS + 2} tensors and a`);
    over.dispose();
  }, 30_000);
});
