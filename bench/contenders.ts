/**
 * The implementations every benchmark compares, created once: our pure-TS backend, each WASM
 * variant this engine runs, and TensorFlow.js's `cpu` and `wasm` backends.
 */
import { createBackend, variantSupported, type Backend, type WasmVariant } from '../ts/index.js';
import { initTfjs, type TfBackendName } from './tfjs.js';

export interface Contenders {
  /** Ours: `ts`, then `wasm-relaxed-simd` (where supported), `wasm-simd128`, `wasm-scalar`. */
  ours: Backend[];
  /** TensorFlow.js backends that initialised. */
  tfjs: TfBackendName[];
  /** WASM variants skipped because this engine rejects them, with the reason. */
  skipped: string[];
}

export async function makeContenders(): Promise<Contenders> {
  const ours: Backend[] = [await createBackend('ts')];
  const skipped: string[] = [];
  for (const variant of ['relaxed-simd', 'simd128', 'scalar'] as WasmVariant[]) {
    if (variantSupported(variant)) ours.push(await createBackend('wasm', { variant }));
    else
      skipped.push(
        `wasm-${variant}: this engine rejects it${variant === 'relaxed-simd' ? ' (Node 20: run with --experimental-wasm-relaxed-simd, as `npm run bench` does)' : ''}`,
      );
  }
  return { ours, tfjs: await initTfjs(), skipped };
}

/** Column name of a tfjs backend. */
export const tfName = (b: TfBackendName): string => `tfjs-${b}`;
