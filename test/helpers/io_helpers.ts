import { Random, Sequential, type Backend, type Tensor } from '../../ts/index.js';
import { randomValues } from './backends.js';
import type { Json } from './json.js';

/**
 * A small seeded batch: `batch` samples of values in [-1, 1) and class labels; a sample is
 * `features` values, or of shape `features` ([C, H, W] for a conv net).
 */
export function batchOf(
  backend: Backend,
  batch: number,
  features: number | readonly number[],
  classes: number,
  seed: number,
): { x: Tensor; t: Tensor } {
  const random = new Random(seed);
  const labels = Array.from({ length: batch }, () => random.int(classes));
  const sample = typeof features === 'number' ? [features] : [...features];
  const size = batch * sample.reduce((a, d) => a * d, 1);
  return { x: backend.tensor(randomValues(size, seed), [batch, ...sample]), t: backend.tensor(labels, [batch]) };
}

/** A Sequential MLP whose biases are not zero (so a round trip that dropped them would show). */
export function trainedLookingMlp(backend: Backend, sizes: number[], activation: 'relu' | 'sigmoid' = 'relu', seed = 7): Sequential {
  const net = Sequential.mlp(backend, sizes, { activation, seed });
  let s = seed;
  for (const [key, p] of Object.entries(net.params)) if (key.startsWith('b')) p.data.set(randomValues(p.size, ++s));
  return net;
}

/** The bits of each param, for bitwise comparisons. */
export function paramBits(params: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(params).map(([k, t]) => [k, Array.from(new Uint32Array(t.toArray().buffer))]));
}

/** The header JSON of a safetensors file and its data section. */
export function splitFile(bytes: Uint8Array): { header: Json; data: Uint8Array } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.subarray(8 + length) };
}

/** A file from a header (any JSON text or object) and a data section. */
export function joinFile(header: Json | string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
