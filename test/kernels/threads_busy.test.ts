// Threads with a busy core: the test keeps every core but one busy with spinning processes of
// its own (as a laptop's browser and build do), then trains on a 2-thread backend that the
// governor (ts/wasm/governor.ts) is free to move to one thread. With a core taken, the workers
// of the 784→50→10 step used to slow it down (0.54×, bench/threads.ts --busy, 2026-12-06). Here
// the real pool runs both ways and switches between them, and the results must stay bitwise
// those of one thread. Which way it settles on depends on the load (vitest runs other files
// alongside), so how fast each way runs is the bench's to say (bench/threads.ts --busy); the
// policy's choices are tested exactly on a simulated clock (governor.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, SGD, TwoLayerNet, type Backend } from '../../ts/index.js';
import type { WasmBackend } from '../../ts/backends/wasm.js';
import { randomValues } from '../helpers/backends.js';

const STEPS = 3000;
let hogs: ChildProcess[] = [];
beforeAll(async () => {
  hogs = Array.from({ length: Math.max(1, availableParallelism() - 1) }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  );
  await new Promise((resolve) => setTimeout(resolve, 200)); // let them start spinning
});
afterAll(() => {
  for (const h of hogs) h.kill();
});

/** The parameters after `STEPS` SGD steps of the 784→50→10 net on one seeded batch of 100. */
function train(b: Backend): Float32Array[] {
  const net = new TwoLayerNet(b, 784, 50, 10, { seed: 5 });
  const x = b.tensor(randomValues(100 * 784, 9).map(Math.abs), [100, 784]);
  const t = b.tensor(
    Float32Array.from({ length: 100 }, (_, i) => (i * 7) % 10),
    [100],
  );
  const sgd = new SGD({ lr: 0.05 });
  for (let i = 0; i < STEPS; i++) sgd.update(net.params, net.gradient(x, t));
  return Object.values(net.params).map((p) => p.data.slice());
}

describe('two threads while another process keeps a core busy', () => {
  it('the governor runs the small MLP step both ways, and the parameters stay bitwise those of one thread', async () => {
    const one = await createBackend('wasm', { variant: 'simd128' });
    const two = (await createBackend('wasm', { threads: 2 })) as WasmBackend;
    expect(hogs.every((h) => h.exitCode === null && h.pid !== undefined)).toBe(true);
    const want = train(one);
    const got = train(two);
    const state = two.governorState()!;
    two.dispose();
    got.forEach((values, i) => expect(values, `parameter ${i}`).toEqual(want[i]));
    expect(state.windows).toBeGreaterThan(10); // it measured a while: 3000 steps are over a second of kernels
    expect(state.looks).toBeGreaterThan(0); // it looked at the other way
    expect(state.soloWindows, JSON.stringify(state)).toBeGreaterThan(0); // and ran windows on one thread
    expect(state.soloWindows, JSON.stringify(state)).toBeLessThan(state.windows); // and on two
  });
});
