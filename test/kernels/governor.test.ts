// The thread governor's policy (ts/wasm/governor.ts) on a simulated machine: a fake clock whose
// calls cost what the scenario says for the way they run, so every outcome is exact. The real
// pool under a busy core is in threads_busy.test.ts; the speed it gives is in bench/threads.ts.
import { describe, expect, it } from 'vitest';
import { callKey, LOOK_MAX, LOOK_MIN, ThreadGovernor, WINDOW_MS } from '../../ts/wasm/governor.js';

/** A workload: kinds of call, each with its ms on one thread and on all threads. */
interface Kind {
  key: number;
  solo: number;
  threaded: number;
}

/** Steps of `kinds` in `seconds` of simulated training on the faster way. */
const stepsIn = (seconds: number, kinds: Kind[]) =>
  Math.round((seconds * 1000) / kinds.reduce((sum, k) => sum + Math.min(k.solo, k.threaded), 0));

/** Runs `steps` steps of `kinds(step)` (the calls of one training step) through a governor of 2 threads. */
function simulate(steps: number, kinds: (step: number, clock: number) => Kind[], gap = (_threads: number) => 0) {
  let clock = 0;
  let threads = 2;
  const uses: number[] = [];
  const switches: { at: number; threads: number }[] = [];
  const governor = new ThreadGovernor(
    2,
    (n) => {
      threads = n;
      uses.push(n);
      switches.push({ at: clock, threads: n });
    },
    () => clock,
  );
  let spent = 0; // what the governed run took
  let best = 0; // what it would take on the faster way for each step
  let worst = 0; // ... on the slower way
  for (let step = 0; step < steps; step++) {
    const calls = kinds(step, clock);
    const solo = calls.reduce((sum, k) => sum + k.solo, 0);
    const threaded = calls.reduce((sum, k) => sum + k.threaded, 0);
    best += Math.min(solo, threaded);
    worst += Math.max(solo, threaded);
    for (const k of calls) {
      const between = gap(threads); // the step's JavaScript before the call
      clock += between;
      spent += between;
      governor.begin();
      const ms = threads === 1 ? k.solo : k.threaded;
      clock += ms;
      governor.end(k.key);
      spent += ms;
    }
  }
  return { spent, best, worst, uses, switches, clock, state: governor.state };
}

/** The 784→50→10 step's kinds of call, roughly: two split GEMMs and a few small serial kernels. */
const mlp = (soloGemm: number, threadedGemm: number): Kind[] => [
  { key: 1, solo: soloGemm, threaded: threadedGemm },
  { key: 2, solo: 0.01, threaded: 0.012 },
  { key: 3, solo: 0.02, threaded: 0.025 },
  { key: 4, solo: soloGemm * 1.1, threaded: threadedGemm * 1.1 },
  { key: 5, solo: 0.005, threaded: 0.006 },
];

describe('the thread governor', () => {
  // A minute of training: the first seconds pay for finding the way (a look at the other way
  // after LOOK_MIN windows, then twice as late each time it loses), the rest a look per LOOK_MAX.
  const quiet = mlp(0.1, 0.055);
  const busy = mlp(0.1, 0.19);

  it('keeps the threads where they are faster (a quiet machine), losing under 2 % to looks at one thread', () => {
    const r = simulate(stepsIn(60, quiet), () => quiet);
    expect(r.state.threadsInUse).toBe(2);
    expect(r.spent / r.best).toBeLessThan(1.02);
    expect(r.state.soloWindows / r.state.windows).toBeLessThan(0.02);
  });

  it('moves to one thread where the workers slow things down (a busy core), losing under 2 % to looks at two', () => {
    const r = simulate(stepsIn(60, busy), () => busy);
    expect(r.state.threadsInUse).toBe(1);
    expect(r.spent / r.best).toBeLessThan(1.02);
    expect(r.state.soloWindows / r.state.windows).toBeGreaterThan(0.98);
  });

  it('follows the load as it comes and goes', () => {
    // 20 s quiet, 20 s busy, 20 s quiet: each change costs a few windows, the rest looks.
    const [from, to] = [stepsIn(20, quiet), stepsIn(20, quiet) + stepsIn(20, busy)];
    const r = simulate(to + stepsIn(20, quiet), (step) => (step >= from && step < to ? busy : quiet));
    expect(r.spent / r.best).toBeLessThan(1.03);
    expect(r.state.threadsInUse).toBe(2);
  });

  it('after a burst of load, comes back to the threads within the length of the burst after it ends', () => {
    // After a change the looks start early again and back off as the new load lasts, so a short
    // burst is soon noticed to be over, and a long one costs few looks.
    // A build that keeps a core busy for 1 s, after 20 quiet seconds (long enough for the looks to back off).
    const [from, to] = [stepsIn(20, quiet), stepsIn(20, quiet) + stepsIn(1, busy)];
    let burstEnd = Number.NaN;
    const r = simulate(to + stepsIn(5, quiet), (step, clock) => {
      if (step === to) burstEnd = clock;
      return step >= from && step < to ? busy : quiet;
    });
    const back = r.switches.find((s) => s.at > burstEnd && s.threads === 2);
    expect(back).toBeDefined();
    expect(back!.at - burstEnd).toBeLessThan(1000);
    expect(r.spent / r.best).toBeLessThan(1.05);
  });

  it('counts the JavaScript between the calls, which a spinning worker slows down, but not long pauses', () => {
    // Kernels as fast either way; the glue between them 3× slower while the worker spins.
    const even = mlp(0.1, 0.1).map((k) => ({ ...k, threaded: k.solo }));
    const glue = simulate(
      stepsIn(60, even),
      () => even,
      (threads) => (threads === 1 ? 0.01 : 0.03),
    );
    expect(glue.state.soloWindows / glue.state.windows, JSON.stringify(glue.state)).toBeGreaterThan(0.98);
    // A pause longer than GAP_MS (the page idle, a benchmark's other contender) is not the step's:
    // a pause that is longer on one thread must not make the threads look faster.
    const paused = simulate(
      stepsIn(60, busy),
      () => busy,
      (threads) => (threads === 1 ? 5 : 1.5),
    );
    expect(paused.state.soloWindows / paused.state.windows, JSON.stringify(paused.state)).toBeGreaterThan(0.98);
  });

  it('compares like with like: a window of mixed calls is priced per kind of call', () => {
    // A big kernel that threads halve and more small ones (sometimes many more) that threads slow
    // down 3×: the threads win overall, though most calls are slower on them.
    const kinds = (step: number): Kind[] => [
      { key: 10, solo: 1, threaded: 0.5 },
      ...Array.from({ length: step % 3 === 0 ? 80 : 10 }, () => ({ key: 11, solo: 0.002, threaded: 0.006 })),
    ];
    const r = simulate(60_000, kinds);
    expect(r.state.threadsInUse).toBe(2);
    expect(r.spent / r.best).toBeLessThan(1.02);
  });

  it('looks at the other way after LOOK_MIN windows at first, and backs off to LOOK_MAX while the looks lose', () => {
    const r = simulate(stepsIn(600, quiet), () => quiet);
    // Doubling from LOOK_MIN: the looks in n windows are about log2(LOOK_MAX/LOOK_MIN) + n / LOOK_MAX.
    const n = r.state.windows;
    const expected = Math.log2(LOOK_MAX / LOOK_MIN) + n / LOOK_MAX;
    expect(r.state.looks).toBeGreaterThan(n / (LOOK_MAX + 1) - 1);
    expect(r.state.looks).toBeLessThan(expected + 3);
  });

  it("prices nothing in new work's first window (warm-up), and looks at the other way after the second", () => {
    const first = simulate(stepsIn((1.5 * WINDOW_MS) / 1000, quiet), () => quiet);
    expect(first.uses).toEqual([]);
    expect(first.state.looks).toBe(0);
    const second = simulate(stepsIn((2.5 * WINDOW_MS) / 1000, quiet), () => quiet);
    expect(second.uses).toEqual([1]);
    expect(second.state.looks).toBe(1);
  });

  it("does not let a slow first window (compiling, first-touched memory) send a quiet machine's threads away", () => {
    // the calls of the first window cost three times as much on whichever way runs them
    const warmSteps = stepsIn(WINDOW_MS / 1000, quiet) / 3;
    const cold = quiet.map((k) => ({ ...k, solo: 3 * k.solo, threaded: 3 * k.threaded }));
    // 0.3 s: about 10 windows, the first of them warm-up
    const r = simulate(stepsIn(0.3, quiet), (step) => (step < warmSteps ? cold : quiet));
    expect(r.uses).toEqual([1, 2]); // one look at one thread, and back
    expect(r.state.soloWindows).toBe(1);
  });
});

describe('callKey', () => {
  const tensor = (size: number, ptr: number) => ({ storage: { size, ptr } });
  it('names the kernel and its sizes, not where its tensors are', () => {
    expect(callKey(3, [100, 784, tensor(10, 64)])).toBe(callKey(3, [100, 784, tensor(10, 4096)]));
    expect(callKey(3, [100, 784, tensor(10, 64)])).not.toBe(callKey(4, [100, 784, tensor(10, 64)]));
    expect(callKey(3, [100, 784, tensor(10, 64)])).not.toBe(callKey(3, [100, 785, tensor(10, 64)]));
    expect(callKey(3, [tensor(10, 64)])).not.toBe(callKey(3, [tensor(11, 64)]));
    expect(callKey(3, [0.001, null, true])).not.toBe(callKey(3, [0.002, null, true]));
    expect(callKey(3, [0.001, null, true])).not.toBe(callKey(3, [0.001, tensor(0, 0), false]));
  });
});
