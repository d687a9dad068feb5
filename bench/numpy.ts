/**
 * numpy as a contender of `npm run bench`: the book's layers (bench/numpy_book.py) in a child
 * process, driven line by line so its samples interleave with ours in the same rounds. The child
 * inherits this process's CPU (scripts/bench.sh pins the bench with taskset, so numpy runs on the
 * same core) and gets one BLAS thread (OPENBLAS_NUM_THREADS=1 and its siblings). Each sample is
 * timed inside Python (perf_counter around the steps), so the pipe is not counted.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A net of bench/numpy_book.py: '784-50-10', '784-256-128-10' or 'cnn'. */
export type NumpyNet = '784-50-10' | '784-256-128-10' | 'cnn';
export type NumpyDtype = 'f32' | 'f64';
/** `book`: the book's `gradient` (every layer's dx, the first one's too); `same`: without the first layer's dx, the work our nets do. */
export type NumpyWork = 'book' | 'same';

export interface Numpy {
  /** numpy's version, and where the child runs. */
  version: string;
  cpus: string;
  /** Builds a contender in the child (a net, its data and its optimizer, warmed up). */
  make(net: NumpyNet, dtype: NumpyDtype, work: NumpyWork): Promise<string>;
  /** Runs `steps` steps of contender `id`; resolves to their total ms, as Python timed them. */
  run(id: string, steps: number): Promise<number>;
  close(): void;
}

/** Column name of a numpy contender: `numpy-f32`, `numpy-f64`, `numpy-f32 same work`. */
export const numpyName = (dtype: NumpyDtype, work: NumpyWork): string => `numpy-${dtype}${work === 'same' ? ' same work' : ''}`;

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'numpy_book.py');
const ENV = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', VECLIB_MAXIMUM_THREADS: '1' };

/**
 * Starts the child, or says why numpy cannot be measured here (no python3, no numpy). `cpu`: pin the
 * child to that CPU with taskset (otherwise it inherits this process's CPUs).
 */
export async function startNumpy({ cpu }: { cpu?: number } = {}): Promise<Numpy | { skipped: string }> {
  const probe = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], {
    encoding: 'utf8',
    env: { ...process.env, ...ENV },
  });
  if (probe.error) return { skipped: `numpy: python3 not found (${probe.error.message})` };
  if (probe.status !== 0)
    return {
      skipped: `numpy: python3 cannot import numpy (${probe.stderr.trim().split('\n').pop()}); install it with \`pip install numpy\` (offline: pip install --no-index --find-links /opt/wheels numpy)`,
    };
  const pinned = cpu !== undefined && spawnSync('taskset', ['-c', String(cpu), 'true']).status === 0;
  const [command, args] = pinned ? ['taskset', ['-c', String(cpu), 'python3', SCRIPT, '--serve']] : ['python3', [SCRIPT, '--serve']];
  const child: ChildProcessWithoutNullStreams = spawn(command, args, {
    env: { ...process.env, ...ENV },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const waiting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line) as Record<string, unknown>));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`bench/numpy_book.py exited (${code}): ${stderr.trim().slice(-500)}`));
  });
  const ask = (command: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${command}\n`);
    });
  let cpus = 'unknown';
  try {
    const { readFileSync } = await import('node:fs');
    cpus = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? cpus;
  } catch {
    // not Linux
  }
  let next = 0;
  return {
    version: probe.stdout.trim(),
    cpus,
    async make(net, dtype, work) {
      const id = `c${next++}`;
      const reply = await ask(`make ${id} ${net} ${dtype} ${work}`);
      if (reply.ok !== true) throw new Error(`bench/numpy_book.py: make ${net} ${dtype} ${work}: ${JSON.stringify(reply)}`);
      return id;
    },
    async run(id, steps) {
      const reply = await ask(`run ${id} ${steps}`);
      if (typeof reply.ms !== 'number') throw new Error(`bench/numpy_book.py: run ${id}: ${JSON.stringify(reply)}`);
      return reply.ms;
    },
    close() {
      child.stdin.end('quit\n');
    },
  };
}
