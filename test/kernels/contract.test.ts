// The kernel contract (ts/core/kernels.ts) against the kernel table of the Rust ABI (the `kernels!`
// macro in crate/src/abi.rs, which generates every export and the Rust length checks): every
// kernel has its entry, with the raw arguments in order (names and roles), the return kind, and
// the same element count for every tensor, evaluated on sample dimensions; every export is a
// kernel, the allocator or the pool; the constants both languages hold agree. Then the loaded
// modules: each has every kernel, and no shipped build exports a test hook.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readKernelTable, type TableKernel } from '../../scripts/kernel-table.mjs';
import { MAX_THREADS } from '../../ts/backends/create.js';
import { BATCH_NORM_EPS } from '../../ts/backends/ts_normalization.js';
import { type ArgSpec, type Args, exportName, KERNELS, type KernelName } from '../../ts/core/kernels.js';
import { convOutSize } from '../../ts/core/window.js';
import { relaxedSimdSupported } from '../../ts/wasm/load.js';
import { allBackends } from '../helpers/backends.js';

const table = readKernelTable();
const entries = new Map(table.kernels.map((k) => [`nn_${k.name}`, k]));
const names = Object.keys(KERNELS) as KernelName[];

/** The role a raw argument of the contract has in the Rust table. */
function rustRole(arg: ArgSpec): string {
  if (arg.role === 'derived') return arg.name === 'n' ? 'dim' : 'scalar';
  return arg.role === 'optOut' ? 'optional' : arg.role;
}

/** A flag is true for its second word, and Rust names it so (`labels`). */
const rawName = (arg: ArgSpec) => (arg.role === 'flag' ? arg.values[1] : arg.name);
/** Names compare without case and underscores: `lrT` ~ `lr_t`, `dW` ~ `dw`, `W` ~ `weights` no. */
const loose = (name: string) => name.replace(/_/g, '').toLowerCase();
const rawArgs = (name: KernelName) =>
  (KERNELS[name].args as readonly ArgSpec[]).filter((arg) => !(arg.role === 'scalar' && arg.raw === false));

/**
 * Evaluates an element count of the Rust table: integers, names, `+ - *`, parentheses,
 * `out_size(size, filter, stride, pad)` and `if flag { a } else { b }`.
 */
function evaluate(expr: string, vars: Record<string, number | boolean>): number {
  const tokens = expr.match(/\d+|\w+|[-+*(){},]/g) ?? [];
  let at = 0;
  const next = () => tokens[at++];
  const expectToken = (t: string) => {
    if (next() !== t) throw new Error(`in '${expr}': expected '${t}'`);
  };
  const sum = (): number => {
    let v = product();
    while (tokens[at] === '+' || tokens[at] === '-') v = next() === '+' ? v + product() : v - product();
    return v;
  };
  const product = (): number => {
    let v = atom();
    while (tokens[at] === '*') {
      next();
      v *= atom();
    }
    return v;
  };
  const atom = (): number => {
    const t = next();
    if (t === '(') {
      const v = sum();
      expectToken(')');
      return v;
    }
    if (t === 'if') {
      const cond = vars[next()];
      expectToken('{');
      const a = sum();
      expectToken('}');
      expectToken('else');
      expectToken('{');
      const b = sum();
      expectToken('}');
      return cond ? a : b;
    }
    if (/^\d+$/.test(t)) return Number(t);
    if (t === 'out_size') {
      expectToken('(');
      const args = [sum()];
      while (tokens[at] === ',') {
        next();
        args.push(sum());
      }
      expectToken(')');
      return convOutSize(args[0], args[1], args[2], args[3]);
    }
    // a Rust name (`pool_h`) as the contract's (`poolH`): the values are keyed by loose names
    const key = t in vars ? t : t.replace(/_/g, '');
    if (!(key in vars)) throw new Error(`in '${expr}': unknown name '${t}'`);
    return Number(vars[key]);
  };
  const v = sum();
  if (at !== tokens.length) throw new Error(`in '${expr}': unexpected '${tokens[at]}'`);
  return v;
}

/** Distinct sizes (a swapped pair of dimensions changes a count) for every dimension a kernel may have. */
const SAMPLE: Record<string, number> = {
  m: 3,
  k: 5,
  n: 2,
  rows: 4,
  cols: 6,
  c: 3,
  h: 9,
  w: 7,
  fh: 3,
  fw: 2,
  stride: 2,
  pad: 1,
  filters: 4,
  poolH: 2,
  poolW: 3,
  poolStride: 2,
  poolPad: 1,
};
/** Elements of every tensor of an element-wise kernel (its raw `n`). */
const ELEMENTS = 11;

/** The public arguments of a sample call of `name` (tensors as sized stand-ins), one per flag value. */
function sampleCalls(name: KernelName): Args[] {
  const specs = KERNELS[name].args as readonly ArgSpec[];
  const base: Record<string, unknown> = {};
  for (const arg of specs) {
    if (arg.role === 'dim') base[arg.name] = SAMPLE[arg.name];
    else if (arg.role === 'scalar') base[arg.name] = 0.5;
    else if ('expect' in arg) base[arg.name] = { size: ELEMENTS, shape: [ELEMENTS] };
  }
  const flag = specs.find((arg) => arg.role === 'flag');
  return flag?.role === 'flag' ? flag.values.map((v) => ({ ...base, [flag.name]: v })) : [base];
}

/** The Rust table's element count of each tensor for the raw values of a call. */
function rustCounts(entry: TableKernel, raw: Record<string, number | boolean>): Record<string, number> {
  const vars = { ...raw };
  for (const w of entry.where) vars[w.name] = evaluate(w.expr, vars);
  return Object.fromEntries(entry.args.filter((a) => a.len !== undefined).map((a) => [loose(a.name), evaluate(a.len as string, vars)]));
}

describe('the kernel contract and the kernel table of crate/src/abi.rs', () => {
  it('the reader finds the table and the other exports', () => {
    expect(table.kernels.length).toBe(names.length);
    expect(entries.get('nn_gemm_nn')?.args.map((a) => `${a.name}: ${a.role}${a.len ? `[${a.len}]` : ''}`)).toEqual([
      'm: dim',
      'k: dim',
      'n: dim',
      'a: input[m * k]',
      'b: input[k * n]',
      'c: output[m * n]',
    ]);
  });

  it.each(names)('%s: its entry takes the raw arguments in order, returns what the contract says, and sizes every tensor alike', (name) => {
    const entry = entries.get(exportName(name));
    expect(entry, `crate/src/abi.rs has no entry ${exportName(name).slice(3)}`).toBeDefined();
    const raw = rawArgs(name);
    expect(entry?.args.map((a) => `${loose(a.name)}: ${a.role}`)).toEqual(raw.map((arg) => `${loose(rawName(arg))}: ${rustRole(arg)}`));
    expect(entry?.returns).toBe(KERNELS[name].returns);
    for (const a of sampleCalls(name)) {
      const values: Record<string, number | boolean> = {};
      for (const arg of raw) {
        if (arg.role === 'derived') values[loose(arg.name)] = arg.value(a);
        else if (arg.role === 'flag') values[loose(rawName(arg))] = a[arg.name] === arg.values[1];
        else if (arg.role === 'dim' || arg.role === 'scalar') values[loose(arg.name)] = a[arg.name] as number;
      }
      const counts = rustCounts(entry as TableKernel, values);
      const want = Object.fromEntries(
        raw.filter((arg) => 'expect' in arg).map((arg) => [loose(arg.name), 'expect' in arg ? arg.expect.size(a) : 0]),
      );
      expect(counts, `${name} ${JSON.stringify(values)}`).toEqual(want);
    }
  });

  it('every export is a kernel of the contract, the allocator or the worker pool; the test hook only with its feature', () => {
    const kernels = new Set<string>(names.map(exportName));
    expect([...entries.keys()].filter((e) => !kernels.has(e))).toEqual([]);
    expect(table.exports).toEqual([
      { name: 'nn_alloc', feature: undefined },
      { name: 'nn_free', feature: undefined },
      { name: 'nn_set_threads', feature: undefined },
      { name: 'nn_worker_loop', feature: undefined },
      { name: 'nn_worker_failed', feature: undefined },
      { name: 'nn_pool_broken', feature: undefined },
      { name: 'nn_pool_stop', feature: undefined },
      { name: 'nn_pool_fail_next_part', feature: 'test-hooks' },
    ]);
  });

  it('the evaluator of element counts', () => {
    expect(evaluate('n * c * h * w', { n: 2, c: 3, h: 4, w: 5 })).toBe(120);
    expect(evaluate('if labels { rows } else { rows * cols }', { labels: true, rows: 4, cols: 6 })).toBe(4);
    expect(evaluate('if labels { rows } else { rows * cols }', { labels: false, rows: 4, cols: 6 })).toBe(24);
    expect(evaluate('out_size(h, fh, stride, pad) * (1 + 1)', { h: 28, fh: 5, stride: 1, pad: 0 })).toBe(48);
  });

  it('the naming rule', () => {
    expect(['gemmNN', 'softmaxXentGrad', 'maxPoolForward', 'affineBackward'].map(exportName)).toEqual([
      'nn_gemm_nn',
      'nn_softmax_xent_grad',
      'nn_max_pool_forward',
      'nn_affine_backward',
    ]);
  });
});

describe('constants both languages hold', () => {
  /** `pub const NAME: type = value;` in a crate source file. */
  const rustConst = (file: string, name: string) => {
    const source = readFileSync(new URL(`../../crate/src/${file}`, import.meta.url), 'utf8');
    const m = new RegExp(`pub const ${name}: \\w+ = ([^;]+);`).exec(source);
    if (!m) throw new Error(`crate/src/${file} has no pub const ${name}`);
    return Number(m[1].replace(/_/g, ''));
  };

  it('the most threads: crate/src/parallel.rs MAX_THREADS and createBackend', () => {
    expect(MAX_THREADS).toBe(rustConst('parallel.rs', 'MAX_THREADS'));
  });

  it("batch normalization's ε: crate/src/batch_norm.rs EPS and the TS backend", () => {
    expect(BATCH_NORM_EPS).toBe(rustConst('batch_norm.rs', 'EPS'));
  });
});

describe('every loaded backend has every kernel of the contract', async () => {
  for (const backend of await allBackends()) {
    it(backend.name, () => {
      for (const name of names) expect(typeof backend[name], name).toBe('function');
    });
  }
});

describe('no shipped build exports a test hook', () => {
  for (const build of ['simd128', 'relaxed-simd', 'scalar', 'simd128-threads']) {
    // (Node 20 compiles the relaxed-SIMD build only with --experimental-wasm-relaxed-simd: npm test's second pass)
    it.skipIf(build === 'relaxed-simd' && !relaxedSimdSupported())(build, () => {
      const text = readFileSync(new URL(`../../ts/wasm/generated/${build}.ts`, import.meta.url), 'utf8');
      const base64 = /WASM_BASE64: string = "([^"]+)"/.exec(text)?.[1] ?? '';
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(Buffer.from(base64, 'base64'))).map((e) => e.name);
      expect(exported).toContain('nn_gemm_nn');
      expect(exported.filter((e) => e.startsWith('nn_pool_fail'))).toEqual([]);
    });
  }
});
