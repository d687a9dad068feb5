/**
 * The raw exports of the Rust crate (`crate/src/abi.rs`).
 *
 * Every kernel of the contract (ts/core/kernels.ts) is one export, generated from its entry in the
 * kernel table of abi.rs and named by the rule `camelCase` → `nn_snake_case` (`affineBackward` →
 * `nn_affine_backward`), taking its raw arguments in the contract's order.
 * test/kernels/contract.test.ts reads that table and checks every entry's arguments, return kind
 * and element counts against its contract entry.
 *
 * Conventions (BLAS order): dimensions first, then scalars, inputs, then outputs. Every pointer is
 * a byte offset into the module's linear memory of a 16-byte-aligned f32 buffer that the TS side
 * allocated with `nn_alloc`; the TS side validates all shapes before calling, so the Rust side
 * never sees a length it has to doubt. Label vectors are f32 buffers holding integer class
 * indices (exact below 2^24); a flag is 0 or 1; an absent optional output is the pointer 0.
 *
 * The memory is imported (`env.memory`, created by `load.ts` with the backend's maximum) and
 * re-exported. Kernels that need workspace (GEMM packing) return a status: 0 on success, else the
 * bytes of workspace they could not reserve; they wrote nothing then and the module stays usable.
 */

/** A kernel export: numbers in (sizes, f32 scalars, pointers, flags), a status, a value (f64) or nothing out. */
export type NnKernel = (...args: number[]) => number;

export interface NnExports {
  readonly memory: WebAssembly.Memory;
  /** Allocates `bytes` (> 0) bytes, 16-byte aligned; returns the pointer, or 0 when memory cannot grow. */
  nn_alloc(bytes: number): number;
  /** Frees a block from `nn_alloc` with the same byte count. */
  nn_free(ptr: number, bytes: number): void;
  /** The kernels, `nn_<kernel in snake case>`. */
  readonly [kernel: `nn_${string}`]: ((...args: number[]) => unknown) | undefined;
}
