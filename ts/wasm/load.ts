import type { NnExports } from './abi.js';

/**
 * The builds of the Rust crate that ship inside this package: SIMD128 with relaxed-SIMD's fused
 * multiply-add in the GEMM micro-kernel, plain SIMD128, and no SIMD.
 */
export type WasmVariant = 'relaxed-simd' | 'simd128' | 'scalar';

/** The shipped modules: each variant, and SIMD128 with atomics and shared memory for threads. */
type WasmBuild = WasmVariant | 'simd128-threads';

/**
 * A build as its generated module gives it: the bytes as base64 (the package: one JS chunk per
 * build), or the address of a `.wasm` file next to the chunk (the demo pages, bundled by
 * scripts/bundle-page.ts, which fetch the binary: a quarter smaller than base64, and not
 * JavaScript for the engine to parse).
 */
type EmbeddedBuild = { WASM_BASE64: string } | { WASM_URL: string };

/**
 * Each build is a module of its own, imported only when that build is chosen: the package's
 * dist/ puts each in its own chunk, so an engine loads one build, not all.
 */
const LOAD_BUILD: Record<WasmBuild, () => Promise<EmbeddedBuild>> = {
  'relaxed-simd': () => import('./generated/relaxed-simd.js'),
  simd128: () => import('./generated/simd128.js'),
  scalar: () => import('./generated/scalar.js'),
  'simd128-threads': () => import('./generated/simd128-threads.js'),
};

/**
 * The smallest module that uses a SIMD128 instruction (i8x16.splat + i8x16.popcnt); an engine
 * without SIMD rejects it. The same probe as the wasm-feature-detect library.
 */
const SIMD128_PROBE = Uint8Array.of(
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
);

/**
 * The smallest module that uses relaxed SIMD: three `i8x16.splat`s into one `f32x4.relaxed_madd`
 * (the instruction the relaxed build's GEMM uses). Chromium accepts it; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 */
const RELAXED_SIMD_PROBE = Uint8Array.of(
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  19,
  1,
  17,
  0,
  65,
  0,
  253,
  15,
  65,
  0,
  253,
  15,
  65,
  0,
  253,
  15,
  253,
  133,
  2,
  11,
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

/** Bytes in one page of WebAssembly memory. */
export const WASM_PAGE_BYTES = 65536;
/** The most a 32-bit WebAssembly memory can hold: 65536 pages, 4 GiB. */
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE_BYTES;

interface CompiledVariant {
  module: WebAssembly.Module;
  /** Pages the module's imported memory must start with (its data and stack). */
  minPages: number;
}

const modules = new Map<WasmBuild, Promise<CompiledVariant>>();

/** Compiles a build once per process (its bytes travel with this package's JS as base64). */
function compileVariant(variant: WasmBuild): Promise<CompiledVariant> {
  let compiled = modules.get(variant);
  if (!compiled) {
    compiled = LOAD_BUILD[variant]().then(async (build) => {
      const bytes = 'WASM_URL' in build ? await fetchBytes(build.WASM_URL) : decodeBase64(build.WASM_BASE64);
      return { module: await WebAssembly.compile(bytes), minPages: importedMemoryMinPages(bytes) };
    });
    // A failed fetch (a page offline for a moment) must not stay cached: the next backend retries.
    compiled.catch(() => modules.delete(variant));
    modules.set(variant, compiled);
  }
  return compiled;
}

/**
 * A fresh instance (its own linear memory) of the given variant. The module imports its memory,
 * so this creates it with the given maximum: `memory.grow` fails there, and the allocator and
 * the kernels' workspace report that as out of memory instead of growing further.
 */
export async function instantiateVariant(variant: WasmVariant, maxMemoryBytes = WASM32_MAX_BYTES): Promise<NnExports> {
  if (variant === 'simd128' && !simd128Supported()) {
    throw new Error(
      "createBackend('wasm', { variant: 'simd128' }): this JavaScript engine does not support WebAssembly SIMD128; use variant 'auto' or 'scalar'",
    );
  }
  if (variant === 'relaxed-simd' && !relaxedSimdSupported()) {
    throw new Error(
      "createBackend('wasm', { variant: 'relaxed-simd' }): this JavaScript engine does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use variant 'auto' or 'simd128'",
    );
  }
  return (await instantiateBuild(variant, maxMemoryBytes)).exports;
}

/**
 * An instance of the threaded build (SIMD128) on a fresh shared memory with the given maximum,
 * and its module, which the worker pool (threads.ts) instantiates again on the same memory.
 */
export function instantiateThreaded(maxMemoryBytes = WASM32_MAX_BYTES): Promise<{ exports: NnExports; module: WebAssembly.Module }> {
  if (!simd128Supported())
    throw new Error("createBackend('wasm', { threads }): threads need WebAssembly SIMD128, which this JavaScript engine does not support");
  return instantiateBuild('simd128-threads', maxMemoryBytes);
}

/**
 * @internal An instance of a threaded build given as its bytes, on a fresh shared memory, and its
 * module (test/kernels/threads.test.ts loads the build with the crate's test hooks this way).
 */
export async function instantiateThreadedBytes(
  bytes: Uint8Array<ArrayBuffer>,
  maxMemoryBytes = WASM32_MAX_BYTES,
): Promise<{ exports: NnExports; module: WebAssembly.Module }> {
  return instantiateCompiled({ module: await WebAssembly.compile(bytes), minPages: importedMemoryMinPages(bytes) }, maxMemoryBytes, true);
}

async function instantiateBuild(build: WasmBuild, maxMemoryBytes: number): Promise<{ exports: NnExports; module: WebAssembly.Module }> {
  return instantiateCompiled(await compileVariant(build), maxMemoryBytes, build === 'simd128-threads');
}

async function instantiateCompiled(
  { module, minPages }: CompiledVariant,
  maxMemoryBytes: number,
  shared: boolean,
): Promise<{ exports: NnExports; module: WebAssembly.Module }> {
  const maximum = Math.floor(maxMemoryBytes / WASM_PAGE_BYTES);
  if (maximum < minPages) {
    throw new Error(
      `createBackend('wasm'): maxMemoryBytes must be at least ${minPages * WASM_PAGE_BYTES} bytes (the module's own data and stack), got ${maxMemoryBytes}`,
    );
  }
  const memory = new WebAssembly.Memory({ initial: minPages, maximum, shared });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { exports: instance.exports as unknown as NnExports, module };
}

/**
 * The initial page count declared by the module's memory import (`env.memory`), read from its
 * import section: the JS API cannot tell it (no type reflection in Node 20).
 */
export function importedMemoryMinPages(bytes: Uint8Array): number {
  let pos = 8; // magic and version
  const leb = (): number => {
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = bytes[pos++];
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return result;
  };
  const skipName = (): void => {
    const length = leb(); // read first: `pos += leb()` would add to the old pos
    pos += length;
  };
  const skipLimits = (): void => {
    const flags = bytes[pos++];
    leb();
    if (flags & 1) leb();
  };
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        skipName(); // module
        skipName(); // field
        const kind = bytes[pos++];
        if (kind === 2) {
          pos++; // limits flags
          return leb();
        }
        if (kind === 0) {
          leb(); // function: type index
        } else if (kind === 1) {
          pos++; // table: element type, then limits
          skipLimits();
        } else if (kind === 3) pos += 2; // global: value type, mutability
      }
    }
    pos = end;
  }
  throw new Error('backprop-wasm: the embedded WebAssembly module does not import its memory (rebuild it with scripts/build-wasm.sh)');
}

async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`backprop-wasm: cannot load the WebAssembly module ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
