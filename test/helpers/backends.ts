import { createBackend, Random, relaxedSimdSupported, type Backend, type WasmVariant } from '../../ts/index.js';

const WASM_VARIANTS: WasmVariant[] = ['simd128', 'scalar'];
// The relaxed-SIMD build runs only where the engine validates it (Chromium; Node 20 with
// --experimental-wasm-relaxed-simd, which scripts/test.sh uses for a second parity run).
if (relaxedSimdSupported()) WASM_VARIANTS.unshift('relaxed-simd');
else
  console.log(
    '[backends] wasm-relaxed-simd skipped: this engine rejects relaxed SIMD (on Node 20: npx vitest run --execArgv=--experimental-wasm-relaxed-simd, as npm test does in its second pass)',
  );

export type BackendName = 'ts' | `wasm-${WasmVariant}`;

/**
 * Every backend the suite runs on: the TS oracle and each WASM variant this engine runs. Each
 * spec that takes a backend runs once per entry (as TensorFlow.js runs its op suite on every backend).
 */
export const BACKEND_NAMES: readonly BackendName[] = ['ts', ...WASM_VARIANTS.map((v) => `wasm-${v}` as const)];

export function makeBackend(name: BackendName): Promise<Backend> {
  if (name === 'ts') return createBackend('ts');
  return createBackend('wasm', { variant: name.slice('wasm-'.length) as WasmVariant });
}

/** One fresh instance of each backend. */
export async function allBackends(): Promise<Backend[]> {
  return Promise.all(BACKEND_NAMES.map(makeBackend));
}

/** `size` values uniform in [-1, 1). */
export function randomValues(size: number, seed: number): Float32Array {
  const random = new Random(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = random.uniform() * 2 - 1;
  return out;
}

/** `size` small integers in [-4, 4]: sums of their products are exact in f32. */
export function integerValues(size: number, seed: number): Float32Array {
  const random = new Random(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = random.int(9) - 4;
  return out;
}

export { toleranceRatio } from './tolerance.js';
