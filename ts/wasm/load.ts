import type { NnExports } from './abi.js';
import { WASM_BASE64 as SCALAR_BASE64 } from './generated/scalar.js';
import { WASM_BASE64 as SIMD128_BASE64 } from './generated/simd128.js';

/** The builds of the Rust crate that ship inside this package. */
export type WasmVariant = 'simd128' | 'scalar';

/**
 * The smallest module that uses a SIMD128 instruction (i8x16.splat + i8x16.popcnt); an engine
 * without SIMD rejects it. The same probe as the wasm-feature-detect library.
 */
const SIMD128_PROBE = Uint8Array.of(
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
);

let simdCache: boolean | undefined;

/** Whether this engine validates WASM SIMD128 (asked once). */
export function simd128Supported(): boolean {
  simdCache ??= WebAssembly.validate(SIMD128_PROBE);
  return simdCache;
}

/** The best variant this engine runs. */
export function bestVariant(): WasmVariant {
  return simd128Supported() ? 'simd128' : 'scalar';
}

const modules = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/** Compiles a variant once per process (the bytes travel inside this JS module as base64). */
function compileVariant(variant: WasmVariant): Promise<WebAssembly.Module> {
  let module = modules.get(variant);
  if (!module) {
    const bytes = decodeBase64(variant === 'simd128' ? SIMD128_BASE64 : SCALAR_BASE64);
    module = WebAssembly.compile(bytes);
    modules.set(variant, module);
  }
  return module;
}

/** A fresh instance (its own linear memory) of the given variant. */
export async function instantiateVariant(variant: WasmVariant): Promise<NnExports> {
  if (variant === 'simd128' && !simd128Supported()) {
    throw new Error("createBackend('wasm', { variant: 'simd128' }): this JavaScript engine does not support WebAssembly SIMD128; use variant 'auto' or 'scalar'");
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
