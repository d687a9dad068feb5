/**
 * The implementations every benchmark compares, created once: our pure-TS backend, each WASM
 * variant this engine runs, and TensorFlow.js's `cpu` and `wasm` backends.
 */
import { createBackend, variantSupported, type Backend, type WasmVariant } from '../ts/index.js';
import { startNumpy, type Numpy } from './numpy.js';
import { initTfjs, type TfBackendName } from './tfjs.js';

export interface Contenders {
  /** Ours: `ts`, then `wasm-relaxed-simd` (where supported), `wasm-simd128`, `wasm-scalar`. */
  ours: Backend[];
  /** TensorFlow.js backends that initialised. */
  tfjs: TfBackendName[];
  /** WASM variants (or numpy) skipped, with the reason. */
  skipped: string[];
  /** numpy running the book's layers in a child process on the same core, if python3 has numpy. */
  numpy: Numpy | null;
  /** The column name of one of `ours` (its backend name unless a comparison names them otherwise). */
  label: (b: Backend) => string;
}

/** Ours, TensorFlow.js, and numpy unless `numpy` is false. */
export async function makeContenders({ numpy = true } = {}): Promise<Contenders> {
  const ours: Backend[] = [await createBackend('ts')];
  const skipped: string[] = [];
  for (const variant of ['relaxed-simd', 'simd128', 'scalar'] as WasmVariant[]) {
    if (variantSupported(variant)) ours.push(await createBackend('wasm', { variant }));
    else
      skipped.push(
        `wasm-${variant}: this engine rejects it${variant === 'relaxed-simd' ? ' (Node 20: run with --experimental-wasm-relaxed-simd, as `npm run bench` does)' : ''}`,
      );
  }
  let np: Numpy | null = null;
  if (numpy) {
    const started = await startNumpy();
    if ('skipped' in started) skipped.push(started.skipped);
    else np = started;
  }
  return { ours, tfjs: await initTfjs(), skipped, numpy: np, label: (b) => b.name };
}

/** Column name of a tfjs backend. */
export const tfName = (b: TfBackendName): string => `tfjs-${b}`;
