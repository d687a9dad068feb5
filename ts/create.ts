import type { Backend } from './backend.js';
import { TsBackend } from './backends/ts.js';
import { WasmBackend } from './backends/wasm.js';
import { describeValue } from './checks.js';
import { bestVariant, instantiateVariant, WASM32_MAX_BYTES, WASM_PAGE_BYTES, type WasmVariant } from './wasm/load.js';

export interface CreateBackendOptions {
  /**
   * Which WASM build to load: `'auto'` (default) picks relaxed SIMD (fused multiply-add) where
   * the engine validates it, else SIMD128 where supported, else the build without SIMD. Ignored
   * by the `'ts'` backend.
   */
  variant?: 'auto' | WasmVariant;
  /**
   * The most linear memory the WASM backend may grow to, in bytes (rounded down to whole 64 KiB
   * pages): 4 GiB, the 32-bit limit, by default. Past it, allocations and kernels that need
   * workspace throw an out-of-memory `Error` and the backend stays usable. Ignored by `'ts'`.
   */
  maxMemoryBytes?: number;
}

/**
 * A new backend with its own memory: `'wasm'` (Rust kernels compiled to WebAssembly; `name`
 * says which variant was loaded) or `'ts'` (pure TypeScript).
 */
export async function createBackend(kind: 'ts' | 'wasm', options: CreateBackendOptions = {}): Promise<Backend> {
  if (kind !== 'ts' && kind !== 'wasm') throw new Error(`createBackend: expected 'wasm' or 'ts', got ${JSON.stringify(kind)}`);
  if (typeof options !== 'object' || options === null) {
    throw new Error(`createBackend('${kind}', options): expected options to be an object such as { variant: 'auto' }, got ${describeValue(options)}`);
  }
  if (kind === 'ts') return new TsBackend();
  const requested = options.variant ?? 'auto';
  if (requested !== 'auto' && requested !== 'relaxed-simd' && requested !== 'simd128' && requested !== 'scalar') {
    throw new Error(`createBackend('wasm'): expected variant 'auto', 'relaxed-simd', 'simd128' or 'scalar', got ${JSON.stringify(requested)}`);
  }
  const maxMemoryBytes = options.maxMemoryBytes ?? WASM32_MAX_BYTES;
  if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < WASM_PAGE_BYTES || maxMemoryBytes > WASM32_MAX_BYTES) {
    throw new Error(`createBackend('wasm'): expected maxMemoryBytes to be an integer from ${WASM_PAGE_BYTES} (64 KiB) to ${WASM32_MAX_BYTES} (4 GiB), got ${describeValue(maxMemoryBytes)}`);
  }
  const variant = requested === 'auto' ? bestVariant() : requested;
  const pages = Math.floor(maxMemoryBytes / WASM_PAGE_BYTES);
  return new WasmBackend(await instantiateVariant(variant, pages * WASM_PAGE_BYTES), variant, pages * WASM_PAGE_BYTES);
}
