// Every argument check of every kernel in ts/core/backend.ts (and its dimensions), driven by the contract's declarations
// (ts/core/kernels.ts), so a new kernel is covered without a row here: each tensor argument in
// turn is replaced by a tensor of the wrong size, a non-tensor, a disposed tensor and a tensor of
// another backend, and each output in turn is made to share memory with each other argument. The
// error must name the kernel and the argument, no kernel may run (the outputs keep their NaN
// sentinels), and the backend must stay usable. Removing any single check fails a case here.
import { describe, expect, it } from 'vitest';
import { type ArgSpec, KERNELS, type KernelName } from '../../ts/core/kernels.js';
import { createBackend, type Backend, type Tensor } from '../../ts/index.js';
import { allBackends } from '../helpers/backends.js';

const backends = await allBackends();
const other = await createBackend('ts');

/** One kernel's calls, derived from its contract entry (ts/core/kernels.ts). */
interface KernelCase {
  kernel: KernelName;
  label: string;
  /** The public arguments in call order, by role. */
  specs: ArgSpec[];
  /** The tensor arguments' names (errors name them so), in call order. */
  args: string[];
  /** Which of them the kernel writes (outputs, in-place and optional outputs). */
  outputs: string[];
  /** Its hyper-parameters, each of which must be finite. */
  hyper: string[];
  /** Flag values of this case. */
  flags: Record<string, string>;
}

// Every dimension 1 (and the paddings 0): then every tensor of every kernel holds one element, so any
// argument can stand in for any other, and the aliasing checks are reachable past the size checks.
const SIZE = 1;
const dimValue = (name: string) => (name === 'pad' || name === 'poolPad' ? 0 : 1);

const CASES: KernelCase[] = (Object.keys(KERNELS) as KernelName[]).flatMap((kernel) => {
  const specs = (KERNELS[kernel].args as readonly ArgSpec[]).filter((arg) => arg.role !== 'derived');
  const tensors = specs.filter((arg) => 'expect' in arg);
  const flag = specs.find((arg) => arg.role === 'flag');
  const flagCases = flag?.role === 'flag' ? flag.values.map((v) => ({ [flag.name]: v })) : [{}];
  return flagCases.map((flags) => ({
    kernel,
    label: `${kernel}(${tensors.map((t) => t.name).join(', ')})${Object.values(flags).map((v) => ` ${v}`)}`,
    specs,
    args: tensors.map((t) => t.name),
    outputs: tensors.filter((t) => t.role !== 'input').map((t) => t.name),
    hyper: specs.filter((arg) => arg.role === 'scalar').map((arg) => arg.name),
    flags,
  }));
});

/** Calls the case's kernel with `tensors` (by position among the tensor arguments) and `hyper` (likewise). */
function callKernel(b: Backend, c: KernelCase, tensors: unknown[], hyper: number[], dims: Record<string, number> = {}): unknown {
  let t = 0;
  let h = 0;
  const values = c.specs.map((arg) =>
    arg.role === 'dim'
      ? (dims[arg.name] ?? dimValue(arg.name))
      : arg.role === 'scalar'
        ? hyper[h++]
        : arg.role === 'flag'
          ? c.flags[arg.name]
          : tensors[t++],
  );
  return (b[c.kernel] as (...args: unknown[]) => unknown)(...values);
}

describe.each(backends.map((b) => [b.name, b] as const))('every kernel check on %s', (_name, backend: Backend) => {
  /** Fresh tensors for a valid call: inputs zero (labels 0), outputs NaN. */
  function tensorsFor(c: KernelCase): Tensor[] {
    return c.args.map((arg) => {
      const t = backend.zeros([SIZE]);
      if (c.outputs.includes(arg)) t.data.fill(NaN);
      return t;
    });
  }
  const hyperFor = (c: KernelCase) => c.hyper.map(() => 0.5);
  /** Runs `c` with `args`, expects `message`, and checks no output was written. */
  function refused(c: KernelCase, args: Tensor[], message: string, hyper = hyperFor(c)): void {
    const where = `${backend.name}.${c.kernel}: `;
    expect(() => callKernel(backend, c, args, hyper)).toThrow(where);
    expect(() => callKernel(backend, c, args, hyper)).toThrow(message);
    c.args.forEach((arg, i) => {
      if (c.outputs.includes(arg) && args[i]?.backend === backend && !args[i].disposed) {
        expect(args[i].data.every(Number.isNaN), `${c.kernel}: ${arg} was written`).toBe(true);
      }
    });
  }

  it.each(CASES.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const valid = tensorsFor(c);
    callKernel(backend, c, valid, hyperFor(c)); // the unchanged call is accepted
    c.args.forEach((arg, i) => {
      const swap = (t: unknown) => valid.map((_v, j) => (j === i ? t : tensorsFor(c)[j])) as Tensor[];
      // (an element-wise kernel measures its inputs against the output, so a wrong-sized output
      // is reported through the first input: only "to hold" is certain)
      refused(
        c,
        swap(withNaN(backend.zeros([SIZE + 1]), c.outputs.includes(arg))),
        c.outputs.includes(arg) ? 'to hold' : `expected ${arg} to hold`,
      );
      refused(c, swap(undefined), `expected ${arg} to be a Tensor, got undefined`);
      const dead = backend.zeros([SIZE]);
      dead.dispose();
      refused(c, swap(dead), `${arg} (shape [${SIZE}]) was disposed`);
      refused(c, swap(other.zeros([SIZE])), `${arg} belongs to backend 'ts', not to this '${backend.name}' backend instance`);
    });
    // Each output against each other argument, through a reshaped view of the same storage.
    for (const out of c.outputs) {
      const o = c.args.indexOf(out);
      c.args.forEach((arg, i) => {
        if (i === o) return;
        const args = tensorsFor(c);
        args[o] = args[i].reshape([SIZE, 1]).reshape([SIZE]);
        expect(() => callKernel(backend, c, args, hyperFor(c)), `${c.kernel}: ${out} sharing ${arg}`).toThrow(
          `${backend.name}.${c.kernel}: the output must not share memory with`,
        );
      });
    }
    c.hyper.forEach((name, i) => {
      const hyper = hyperFor(c);
      hyper[i] = NaN;
      refused(c, tensorsFor(c), `expected a finite ${name}, got NaN`, hyper);
    });
    for (const arg of c.specs.filter((a) => a.role === 'dim')) {
      expect(() => callKernel(backend, c, tensorsFor(c), hyperFor(c), { [arg.name]: 1.5 })).toThrow(
        `${backend.name}.${c.kernel}: expected ${arg.name} to be an integer from 0 to`,
      );
    }
  });

  it('labels must be class indices, targets a known kind, and the backend still works after all of it', () => {
    const [x, y] = [backend.zeros([2, 3]), backend.zeros([2, 3])];
    expect(() => backend.softmaxXent(2, 3, x, backend.tensor([0, 3], [2]), 'labels', y)).toThrow('found 3 at row 1');
    expect(() => backend.softmaxXentBackward(2, 3, x, backend.tensor([-1, 0], [2]), 'labels', y)).toThrow('found -1 at row 0');
    expect(() => backend.softmaxXentGrad(2, 3, x, backend.zeros([2, 3]), 'probabilities' as never, y, backend.zeros([2, 3]))).toThrow(
      "expected targets 'onehot' or 'labels', got probabilities",
    );
    const c = backend.zeros([1, 1]);
    backend.gemmNN(1, 2, 1, backend.tensor([1, 2], [1, 2]), backend.tensor([3, 4], [2, 1]), c);
    expect(c.data[0]).toBe(11);
  });
});

function withNaN(t: Tensor, isOutput: boolean): Tensor {
  if (isOutput) t.data.fill(NaN);
  return t;
}
