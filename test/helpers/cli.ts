import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Json } from './json.js';

/** The repository's root: the working directory of every spawned command. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The MNIST CLI (demo/mnist.ts) run from source as `npm run mnist -- …` runs it, with `imports`
 * loaded before it (e.g. a module that removes SharedArrayBuffer).
 */
export function runCli(args: readonly string[], { imports = [] as readonly string[], timeout = 60_000 } = {}): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...imports.flatMap((i) => ['--import', i]), 'demo/mnist.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `runCli(args)` that must succeed: its `--json` summary, parsed. */
export function cliSummary(args: readonly string[], timeout = 90_000): Json {
  const r = runCli([...args, '--json'], { timeout });
  if (r.status !== 0) throw new Error(`mnist ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}
