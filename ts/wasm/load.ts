import type { NnExports } from './abi.js';

/**
 * The builds of the Rust crate that ship inside this package: SIMD128 with relaxed-SIMD's fused
 * multiply-add in the GEMM micro-kernel, plain SIMD128, and no SIMD.
 */
export type WasmVariant = 'relaxed-simd' | 'simd128' | 'scalar';

/**
 * Each build's bytes (base64) are a module of their own, imported only when that variant is
 * chosen: the package's dist/ puts each in its own chunk, so an engine loads one build, not all.
 */
const LOAD_BASE64: Record<WasmVariant, () => Promise<{ WASM_BASE64: string }>> = {
  'relaxed-simd': () => import('./generated/relaxed-simd.js'),
  simd128: () => import('./generated/simd128.js'),
  scalar: () => import('./generated/scalar.js'),
};

/**
 * The smallest module that uses a SIMD128 instruction (i8x16.splat + i8x16.popcnt); an engine
 * without SIMD rejects it. The same probe as the wasm-feature-detect library.
 */
const SIMD128_PROBE = Uint8Array.of(
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
);

/**
 * The smallest module that uses relaxed SIMD: three `i8x16.splat`s into one `f32x4.relaxed_madd`
 * (the instruction the relaxed build's GEMM uses). Chromium accepts it; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 */
const RELAXED_SIMD_PROBE = Uint8Array.of(
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11,
);

let simdCache: boolean | undefined;
let relaxedCache: boolean | undefined;

/** Whether this engine validates WASM SIMD128 (asked once). */
export function simd128Supported(): boolean {
  simdCache ??= WebAssembly.validate(SIMD128_PROBE);
  return simdCache;
}

/** Whether this engine validates relaxed SIMD (asked once). */
export function relaxedSimdSupported(): boolean {
  relaxedCache ??= simd128Supported() && WebAssembly.validate(RELAXED_SIMD_PROBE);
  return relaxedCache;
}

/** Whether this engine can run the given variant. */
export function variantSupported(variant: WasmVariant): boolean {
  return variant === 'relaxed-simd' ? relaxedSimdSupported() : variant === 'simd128' ? simd128Supported() : true;
}

/** The best variant this engine runs. */
export function bestVariant(): WasmVariant {
  return relaxedSimdSupported() ? 'relaxed-simd' : simd128Supported() ? 'simd128' : 'scalar';
}

const modules = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/** Compiles a variant once per process (its bytes travel with this package's JS as base64). */
function compileVariant(variant: WasmVariant): Promise<WebAssembly.Module> {
  let module = modules.get(variant);
  if (!module) {
    module = LOAD_BASE64[variant]().then(({ WASM_BASE64 }) => WebAssembly.compile(decodeBase64(WASM_BASE64)));
    modules.set(variant, module);
  }
  return module;
}

/** A fresh instance (its own linear memory) of the given variant. */
export async function instantiateVariant(variant: WasmVariant): Promise<NnExports> {
  if (variant === 'simd128' && !simd128Supported()) {
    throw new Error("createBackend('wasm', { variant: 'simd128' }): this JavaScript engine does not support WebAssembly SIMD128; use variant 'auto' or 'scalar'");
  }
  if (variant === 'relaxed-simd' && !relaxedSimdSupported()) {
    throw new Error("createBackend('wasm', { variant: 'relaxed-simd' }): this JavaScript engine does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use variant 'auto' or 'simd128'");
  }
  const instance = await WebAssembly.instantiate(await compileVariant(variant), {});
  return instance.exports as unknown as NnExports;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
