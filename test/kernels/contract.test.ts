// The kernel contract (ts/core/kernels.ts) against the Rust ABI (crate/src/abi.rs), parsed from the
// source: every kernel has the export its name gives by the naming rule, with its raw arguments
// in order (names, and types by role) and its return type; every export is a kernel (or the
// allocator). Then the loaded modules: each exports every kernel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNELS, exportName, type ArgSpec, type KernelName } from '../../ts/core/kernels.js';
import { allBackends } from '../helpers/backends.js';

interface Export {
  params: { name: string; type: string }[];
  returns: string;
}

/** `pub unsafe extern "C" fn nn_x(a: usize, p: *const f32) -> usize` → name, parameters, return type. */
function parseAbi(source: string): Map<string, Export> {
  const exports = new Map<string, Export>();
  for (const m of source.matchAll(/pub (?:unsafe )?extern "C" fn (nn_\w+)\s*\(([^)]*)\)\s*(?:->\s*([^{]+?))?\s*\{/g)) {
    const params = m[2]
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        const [name, type] = p.split(/:\s*/);
        return { name, type: type.replace(/\s+/g, ' ') };
      });
    exports.set(m[1], { params, returns: m[3]?.trim() ?? '' });
  }
  return exports;
}

/** The Rust type a raw argument of this role has at the ABI. */
function rustType(arg: ArgSpec): string {
  switch (arg.role) {
    case 'dim':
      return 'usize';
    case 'derived':
      return arg.name === 'n' ? 'usize' : 'f32';
    case 'scalar':
      return 'f32';
    case 'flag':
      return 'u32';
    case 'input':
      return '*const f32';
    default:
      return '*mut f32';
  }
}

/** A flag is true for its second word, and Rust names it so (`labels: u32`). */
const rawName = (arg: ArgSpec) => (arg.role === 'flag' ? arg.values[1] : arg.name);

/** Names compare without case and underscores: `lrT` ~ `lr_t`, `dW` ~ `dw`. */
const loose = (name: string) => name.replace(/_/g, '').toLowerCase();

const abi = parseAbi(readFileSync(new URL('../../crate/src/abi.rs', import.meta.url), 'utf8'));
const names = Object.keys(KERNELS) as KernelName[];

describe('the kernel contract and crate/src/abi.rs', () => {
  it('the parser finds the exports', () => {
    expect(abi.get('nn_alloc')).toEqual({ params: [{ name: 'bytes', type: 'usize' }], returns: '*mut u8' });
    expect(abi.size).toBeGreaterThan(names.length);
  });

  it.each(names)('%s: its export takes the raw arguments in order and returns what the entry says', (name) => {
    const spec = KERNELS[name];
    const exported = abi.get(exportName(name));
    expect(exported, `crate/src/abi.rs has no ${exportName(name)}`).toBeDefined();
    const raw = spec.args.filter((arg) => !(arg.role === 'scalar' && 'raw' in arg));
    expect(exported!.params.map((p) => `${loose(p.name)}: ${p.type}`)).toEqual(
      raw.map((arg) => `${loose(rawName(arg))}: ${rustType(arg)}`),
    );
    expect(exported!.returns).toBe({ void: '', status: 'usize', value: 'f64' }[spec.returns]);
  });

  it('every export is a kernel of the contract, the allocator or the worker pool', () => {
    const kernels = new Set<string>(names.map(exportName));
    expect([...abi.keys()].filter((e) => !kernels.has(e))).toEqual([
      'nn_alloc',
      'nn_free',
      'nn_set_threads',
      'nn_worker_loop',
      'nn_worker_failed',
      'nn_pool_broken',
      'nn_pool_stop',
      'nn_pool_fail_next_part',
    ]);
  });

  it('the naming rule', () => {
    expect(['gemmNN', 'softmaxXentGrad', 'im2col', 'affineBackward'].map(exportName)).toEqual([
      'nn_gemm_nn',
      'nn_softmax_xent_grad',
      'nn_im2col',
      'nn_affine_backward',
    ]);
  });
});

describe('every loaded backend has every kernel of the contract', async () => {
  for (const backend of await allBackends()) {
    it(backend.name, () => {
      for (const name of names) expect(typeof backend[name], name).toBe('function');
    });
  }
});
