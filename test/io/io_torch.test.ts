import { describe, expect, it } from 'vitest';
import { importTorchMlp, Sequential } from '../../ts/index.js';
import { BACKEND_NAMES, makeBackend, randomValues } from '../helpers/backends.js';

// importTorchMlp: a file laid out as PyTorch writes an nn.Sequential of nn.Linear (weights
// [out, in]) is built here byte by byte, independently of the library's writer, and the
// imported net's predict is compared with a float64 forward pass done in this test.

type Dtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I32';
const SIZE: Record<Dtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4 };

interface Linear {
  weight: number[][];
  bias: number[] | null;
}

/** A [out, in] weight and bias per Linear, with values exact in every float dtype (multiples of 1/64 in [-2, 2]). */
function linears(sizes: number[], seed: number): Linear[] {
  return sizes.slice(1).map((out, i) => {
    const inputs = sizes[i];
    const w = randomValues(out * inputs, seed + i);
    const b = randomValues(out, seed + 100 + i);
    return {
      weight: Array.from({ length: out }, (_, o) => Array.from({ length: inputs }, (_, k) => Math.round(w[o * inputs + k] * 128) / 64)),
      bias: Array.from(b, (v) => Math.round(v * 64) / 64),
    };
  });
}

function encode(values: number[], dtype: Dtype): Uint8Array {
  const out = new Uint8Array(values.length * SIZE[dtype]);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (dtype === 'F32') view.setFloat32(4 * i, v, true);
    else if (dtype === 'F64') view.setFloat64(8 * i, v, true);
    else if (dtype === 'I32') view.setInt32(4 * i, v, true);
    else if (dtype === 'BF16') {
      const word = new DataView(new ArrayBuffer(4));
      word.setFloat32(0, v);
      view.setUint16(2 * i, word.getUint32(0) >>> 16, true);
    } else view.setUint16(2 * i, toHalf(v), true);
  });
  return out;
}

/** Binary16 bits of a value that is exact in it (normal range, ≤ 10 fraction bits). */
function toHalf(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const e = Math.floor(Math.log2(Math.abs(v)));
  const fraction = Math.abs(v) / 2 ** e - 1;
  return sign | ((e + 15) << 10) | Math.round(fraction * 1024);
}

/** A safetensors file with PyTorch's keys: `${2i}.weight`, `${2i}.bias` (activations at odd indices). */
function torchFile(layers: Linear[], dtype: Dtype, extra: Record<string, unknown> = {}): Uint8Array {
  const header: Record<string, unknown> = { ...extra };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], values: number[]) => {
    const bytes = encode(values, dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  };
  layers.forEach(({ weight, bias }, i) => {
    add(`${2 * i}.weight`, [weight.length, weight[0].length], weight.flat());
    if (bias) add(`${2 * i}.bias`, [bias.length], bias);
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** PyTorch's forward in float64: h = act(h·Wᵀ + b) between layers, none after the last. */
function reference(layers: Linear[], x: Float32Array, batch: number, activation: 'relu' | 'sigmoid'): number[] {
  let h = Array.from({ length: batch }, (_, r) =>
    Array.from(x.subarray(r * layers[0].weight[0].length, (r + 1) * layers[0].weight[0].length)),
  );
  layers.forEach(({ weight, bias }, i) => {
    h = h.map((row) =>
      weight.map((w, o) => {
        const z = w.reduce((sum, wk, k) => sum + wk * row[k], bias ? bias[o] : 0);
        if (i === layers.length - 1) return z;
        return activation === 'relu' ? Math.max(z, 0) : 1 / (1 + Math.exp(-z));
      }),
    );
  });
  return h.flat();
}

describe.each(BACKEND_NAMES)('importTorchMlp on %s', (name) => {
  it.each(['F32', 'F64', 'F16', 'BF16'] as const)('imports %s weights [out, in] and predicts like the float64 reference', async (dtype) => {
    const backend = await makeBackend(name);
    for (const activation of ['relu', 'sigmoid'] as const) {
      const layers = linears([13, 9, 5, 4], 3);
      const net = importTorchMlp(backend, torchFile(layers, dtype), { activation });
      expect(net).toBeInstanceOf(Sequential);
      expect([...net.layers.keys()]).toEqual(
        activation === 'relu'
          ? ['Affine1', 'Relu1', 'Affine2', 'Relu2', 'Affine3']
          : ['Affine1', 'Sigmoid1', 'Affine2', 'Sigmoid2', 'Affine3'],
      );
      expect(net.params.W1.shape).toEqual([13, 9]);
      const x = randomValues(7 * 13, 9);
      const y = net.predict(backend.tensor(x, [7, 13])).toArray();
      const expected = reference(layers, x, 7, activation);
      for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - expected[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i])));
    }
  });
});

describe('importTorchMlp refuses what it cannot read', () => {
  const backendPromise = makeBackend('ts');
  it('other dtypes, by name', async () => {
    const backend = await backendPromise;
    expect(() => importTorchMlp(backend, torchFile(linears([3, 2], 1), 'I32'))).toThrow(
      /tensor '0\.weight' has dtype I32; only F32, F16, BF16, F64 can be read as f32/,
    );
  });

  it('keys that are not Linear weights and biases, layers that do not chain, a bias without weight', async () => {
    const backend = await backendPromise;
    expect(() =>
      importTorchMlp(
        backend,
        torchFile(linears([3, 2], 1), 'F32', { '1.running_mean': { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }),
      ),
    ).toThrow(/unexpected tensor '1\.running_mean'/);
    const broken = linears([4, 3, 2], 1);
    broken[1].weight = broken[1].weight.map((row) => row.slice(0, 2));
    expect(() => importTorchMlp(backend, torchFile(broken, 'F32'))).toThrow(/'2\.weight' takes 2 inputs but the layer before gives 3/);
    expect(() => importTorchMlp(backend, torchFile([], 'F32'))).toThrow(/the file has no tensors/);
    expect(() => importTorchMlp(backend, torchFile(linears([3, 2], 1), 'F32'), { activation: 'tanh' as never })).toThrow(
      /expected activation 'relu' or 'sigmoid', got "tanh"/,
    );
  });

  it('a Linear without bias gets zeros', async () => {
    const backend = await backendPromise;
    const layers = linears([3, 2], 1);
    layers[0].bias = null;
    const net = importTorchMlp(backend, torchFile(layers, 'F32'));
    expect([...net.params.b1.toArray()]).toEqual([0, 0]);
  });

  it('non-finite weights, and F64 values out of f32 range', async () => {
    const backend = await backendPromise;
    const layers = linears([3, 2], 1);
    layers[0].weight[1][2] = 1e300;
    expect(() => importTorchMlp(backend, torchFile(layers, 'F64'))).toThrow(
      /tensor '0\.weight' element 5 \(file byte \d+\) is Infinity \(out of f32 range\)/,
    );
  });
});
