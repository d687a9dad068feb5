import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// The npm scripts keep stdout for what a command is asked for: their own messages
// ([ensure] …, [build-wasm] up to date …) go to stderr, so `npm run --silent mnist -- --json | jq .`
// gets the JSON alone.
const root = ROOT;

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  // Without NN_ENSURED (set when this runs under npm test), ensure.sh does its whole check.
  const { NN_ENSURED: _ensured, NN_TOOLCHAIN_READY: _ready, ...env } = process.env;
  const r = spawnSync(command, args, { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts', () => {
  it('ensure.sh and build-wasm.sh print nothing on stdout', () => {
    for (const script of ['scripts/ensure.sh', 'scripts/build-wasm.sh']) {
      const r = run('bash', [script]);
      expect(r.status, `${script}: ${r.stderr}`).toBe(0);
      expect(r.stdout, script).toBe('');
    }
  }, 120_000);

  it('npm run --silent mnist -- --json prints only the JSON summary on stdout', () => {
    const r = run('npm', ['run', '--silent', 'mnist', '--', '--hidden', '16', '--epochs', '1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sizes: [784, 16, 10], epochs: 1 });
  }, 120_000);
});
