import type { Backend } from './backend.js';
import { TsBackend } from './backends/ts.js';
import { WasmBackend } from './backends/wasm.js';
import { bestVariant, instantiateVariant, type WasmVariant } from './wasm/load.js';

export interface CreateBackendOptions {
  /**
   * Which WASM build to load: `'auto'` (default) picks relaxed SIMD (fused multiply-add) where
   * the engine validates it, else SIMD128 where supported, else the build without SIMD. Ignored
   * by the `'ts'` backend.
   */
  variant?: 'auto' | WasmVariant;
}

/**
 * A new backend with its own memory: `'wasm'` (Rust kernels compiled to WebAssembly; `name`
 * says which variant was loaded) or `'ts'` (pure TypeScript).
 */
export async function createBackend(kind: 'ts' | 'wasm', options: CreateBackendOptions = {}): Promise<Backend> {
  if (kind === 'ts') return new TsBackend();
  if (kind !== 'wasm') throw new Error(`createBackend: expected 'wasm' or 'ts', got ${JSON.stringify(kind)}`);
  const requested = options.variant ?? 'auto';
  if (requested !== 'auto' && requested !== 'relaxed-simd' && requested !== 'simd128' && requested !== 'scalar') {
    throw new Error(`createBackend('wasm'): expected variant 'auto', 'relaxed-simd', 'simd128' or 'scalar', got ${JSON.stringify(requested)}`);
  }
  const variant = requested === 'auto' ? bestVariant() : requested;
  return new WasmBackend(await instantiateVariant(variant), variant);
}
