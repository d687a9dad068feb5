/**
 * TensorFlow.js 4.22 in Node, the peer we measure against: its `cpu` backend (plain JS) and its
 * `wasm` backend (XNNPACK, SIMD, one thread here). The `.wasm` files are read from
 * node_modules through `setWasmPaths` with a file path (no network).
 *
 * tfjs-core alone registers no gradient functions (its ESM `register_all_gradients` does not
 * load in Node), so the tfjs training step and softmax backward are written out by hand in tfjs
 * ops — the same algorithm as ours, and the fastest form a tfjs user could write.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };
export type TfBackendName = 'cpu' | 'wasm';

let ready: Promise<TfBackendName[]> | undefined;

/** Registers and initialises both backends once; returns the ones that work here. */
export function initTfjs(): Promise<TfBackendName[]> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${dist}/`); // a file path with a trailing slash: emscripten reads it with fs
    // One thread: our kernels are single-threaded, and the machine's cores are shared.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const available: TfBackendName[] = [];
    for (const name of ['cpu', 'wasm'] as const) {
      try {
        if (await tf.setBackend(name)) available.push(name);
      } catch (e) {
        console.warn(`[bench] tfjs ${name} backend unavailable: ${(e as Error).message}`);
      }
    }
    return available;
  })();
  return ready;
}

/** Runs `fn` on the given tfjs backend (switching is cheap once both are initialised). */
export function onTfBackend<T>(name: TfBackendName, fn: () => T): T {
  if (tf.getBackend() !== name) tf.setBackend(name);
  return fn();
}
