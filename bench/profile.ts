/**
 * Where a training step's time goes, per kernel call (one thread, SIMD128): every kernel of the
 * backend is wrapped in a timer, and the step (the book's SimpleConvNet or DeepConvNet, or the two
 * benchmark MLPs) runs for a while; prints ms per step by kernel and call shape, and the time
 * outside the kernels (JavaScript). Usage: node --import tsx bench/profile.ts [cnn|deep|mlp|mlp2] [--variant v]
 */
import { createBackend, Tensor, type Backend, type WasmVariant } from '../ts/index.js';
import { KERNELS } from '../ts/core/kernels.js';
import { cnnStep, deepStep, mlpStep } from './steps.js';

const args = process.argv.slice(2);
const which = args.find((a) => !a.startsWith('--')) ?? 'cnn';
const vi = args.indexOf('--variant');
const variant = (vi >= 0 ? args[vi + 1] : 'simd128') as WasmVariant;

function shapeOf(a: unknown[]): string {
  return a.map((v) => (v instanceof Tensor ? v.shape.join('×') : v === null ? '-' : String(v))).join(',');
}

const b: Backend = variant === ('ts' as WasmVariant) ? await createBackend('ts') : await createBackend('wasm', { variant });
const times = new Map<string, { ms: number; calls: number }>();
const target = b as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const kernel of Object.keys(KERNELS)) {
  const original = target[kernel].bind(b);
  target[kernel] = (...a: unknown[]) => {
    const t0 = performance.now();
    const r = original(...a);
    const ms = performance.now() - t0;
    const key = `${kernel}(${shapeOf(kernel === 'adam' ? a.slice(4) : a)})`;
    const e = times.get(key) ?? times.set(key, { ms: 0, calls: 0 }).get(key)!;
    e.ms += ms;
    e.calls++;
    return r;
  };
}
const make =
  which === 'cnn'
    ? cnnStep
    : which === 'deep'
      ? deepStep
      : which === 'mlp'
        ? mlpStep([784, 50, 10], 100)
        : mlpStep([784, 256, 128, 10], 128);
const run = make(b);
for (let i = 0; i < 20; i++) run();
times.clear();
const steps = which === 'deep' ? 20 : which === 'cnn' ? 100 : 1000;
const t0 = performance.now();
for (let i = 0; i < steps; i++) run();
const total = (performance.now() - t0) / steps;
let inKernels = 0;
const rows = [...times].sort((x, y) => y[1].ms - x[1].ms);
for (const [k, v] of rows) {
  inKernels += v.ms / steps;
  console.log(`${(v.ms / steps).toFixed(3).padStart(8)} ms  ${(v.calls / steps).toFixed(0).padStart(3)}×  ${k}`);
}
console.log(`step ${total.toFixed(3)} ms, kernels ${inKernels.toFixed(3)} ms, outside ${(total - inKernels).toFixed(3)} ms`);
