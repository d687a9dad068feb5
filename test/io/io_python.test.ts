import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, importTorchMlp, readSafetensors, saveModel } from '../../ts/index.js';
import { makeBackend, randomValues } from '../helpers/backends.js';
import { trainedLookingMlp } from '../helpers/io_helpers.js';

// Interoperability with a reader and a writer that are not ours: Python's `safetensors` package
// cannot be installed here (no PyPI), so this test runs an independent implementation of the
// published format in Python + NumPy (below; ~20 lines, written from the spec, sharing no code
// with ts/io). Skipped, with a message, where python3 with numpy is missing.

const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const hasPython = python.status === 0;
if (!hasPython) console.log('[io_python] skipped: python3 with numpy is not available (the interop check needs an independent reader)');

const READER = `
import json, struct, sys
import numpy as np
DT = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2'}
def read(path):
    raw = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    data = raw[8 + n:]
    return meta, {k: np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype=DT[v['dtype']]).reshape(v['shape']) for k, v in header.items()}
def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = a.astype('<' + a.dtype.str[1:]).tobytes()
        header[name] = {'dtype': {'f4': 'F32', 'f8': 'F64', 'f2': 'F16'}[a.dtype.str[1:]], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b); offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-(8 + len(h)) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`;

function runPython(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', READER + script, ...args], { encoding: 'utf8' });
}

describe.skipIf(!hasPython)('safetensors files and an independent Python/NumPy implementation of the format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-io-'));

  it('a file written here reads in Python with the same weights, bit for bit, and the metadata', async () => {
    const backend = await makeBackend('ts');
    const net = trainedLookingMlp(backend, [6, 5, 3]);
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, saveModel(net, { optimizer: new Adam() }));
    const out = JSON.parse(
      runPython(
        `
meta, t = read(sys.argv[1])
print(json.dumps({'meta': meta, 'tensors': {k: {'shape': list(a.shape), 'bits': a.view('<u4').ravel().tolist()} for k, a in t.items()}}))
`,
        path,
      ),
    );
    expect(out.meta.format).toBe('backprop-wasm');
    expect(JSON.parse(out.meta.architecture).class).toBe('Sequential');
    for (const [key, tensor] of Object.entries(net.params)) {
      expect(out.tensors[key].shape).toEqual(tensor.shape);
      expect(out.tensors[key].bits).toEqual(Array.from(new Uint32Array(tensor.toArray().buffer)));
    }
  });

  it('a PyTorch-layout file written by Python imports and predicts like NumPy in float64', async () => {
    const backend = await makeBackend('wasm-simd128');
    const path = join(dir, 'torch.safetensors');
    const x = randomValues(5 * 8, 4);
    writeFileSync(join(dir, 'x.json'), JSON.stringify(Array.from(x)));
    const expected: number[] = JSON.parse(
      runPython(
        `
rng = np.random.default_rng(0)
w0, b0 = rng.standard_normal((6, 8)), rng.standard_normal(6)
w2, b2 = rng.standard_normal((3, 6)).astype(np.float16), rng.standard_normal(3)
write(sys.argv[1], {'0.weight': w0, '0.bias': b0, '2.weight': w2, '2.bias': b2.astype(np.float32)})
# the reference uses the values as stored (f64 rounded to f32 by the importer, f16 exact)
x = np.array(json.load(open(sys.argv[2])), dtype=np.float64).reshape(5, 8)
h = np.maximum(x @ w0.astype(np.float32).astype(np.float64).T + b0.astype(np.float32), 0)
y = h @ w2.astype(np.float64).T + b2.astype(np.float32).astype(np.float64)
print(json.dumps(y.ravel().tolist()))
`,
        path,
        join(dir, 'x.json'),
      ),
    );
    const bytes = new Uint8Array(readFileSync(path));
    expect([...readSafetensors(bytes).tensors.values()].map((e) => e.dtype)).toEqual(['F64', 'F64', 'F16', 'F32']);
    const y = importTorchMlp(backend, bytes)
      .predict(backend.tensor(x, [5, 8]))
      .toArray();
    expect(y.length).toBe(15);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - expected[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i])));
  });
});
