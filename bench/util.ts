/**
 * Timing helpers for the benchmarks: seeded data, warm-up, interleaved rounds, medians, and a
 * sink that keeps results alive so the JIT cannot drop the work. Benchmarks are never timed
 * assertions in tests; they only report.
 */
import { loadavg } from 'node:os';
import { cpuSample, otherCores } from './machine.js';

/** Seeded uniform values in [-1, 1) (mulberry32), so every run measures the same numbers. */
export function seededValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** `rows` class indices in 0..classes−1, seeded. */
export function seededLabels(rows: number, classes: number, seed: number): Float32Array {
  return seededValues(rows, seed).map((v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}

/** Anything a benchmarked call returns is folded in here; printed at the end, so it is live. */
let sinkValue = 0;
export function sink(v: unknown): void {
  if (typeof v === 'number') sinkValue += v;
  else if (v instanceof Float32Array) sinkValue += v.length > 0 ? v[0] : 0;
  else if (v !== undefined && v !== null) sinkValue += 1;
}
export function sinkTotal(): number {
  return sinkValue;
}

export interface Contender {
  /** Column label, e.g. `wasm-simd128`, `tfjs-wasm`. */
  name: string;
  /** One call of the measured operation. */
  run: () => unknown;
}

export interface TimingOptions {
  /** Rounds; each contender is timed once per round, in turn (default 9). */
  rounds?: number;
  /** Minimum duration of one timed sample in ms; calls are repeated to reach it (default 3). */
  minSampleMs?: number;
  /** Warm-up time per contender in ms before the first round (default 30). */
  warmupMs?: number;
}

/**
 * Times each contender in interleaved rounds (A B C, A B C, …) so slow drifts of the shared
 * machine hit all of them alike; returns the median time of one call in µs, per contender.
 */
export function timeInterleaved(contenders: Contender[], options: TimingOptions = {}): Map<string, number> {
  const { rounds = 9, minSampleMs = 3, warmupMs = 30 } = options;
  const calls = new Map<string, number>();
  for (const c of contenders) {
    // Warm up (JIT, caches, lazily sized buffers) and find how many calls fill a sample.
    const start = performance.now();
    let n = 0;
    do {
      sink(c.run());
      n++;
    } while (performance.now() - start < warmupMs);
    const perCall = (performance.now() - start) / n;
    calls.set(c.name, Math.max(1, Math.ceil(minSampleMs / perCall)));
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      const n = calls.get(c.name)!;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink(c.run());
      samples.get(c.name)!.push(((performance.now() - t0) * 1000) / n);
    }
  }
  return new Map([...samples].map(([name, s]) => [name, median(s)]));
}

/** A contender that times itself in another process (numpy): `sample(n)` runs n calls and resolves to their total ms. */
export interface ExternalContender {
  name: string;
  sample: (calls: number) => Promise<number>;
}

/** What a row was measured under: the 1-minute load average at its end and the cores other processes kept busy during it (Linux). */
export interface RowLoad {
  loadAverage: number;
  otherCores: number | null;
}

/**
 * `timeInterleaved` with external contenders too (numpy in a child process): every round times
 * each contender once, in turn, ours and theirs alike; also returns the load the row ran under.
 * An external sample is timed by its process, so the pipe is not counted.
 */
export async function timeInterleavedWith(
  contenders: (Contender | ExternalContender)[],
  options: TimingOptions = {},
): Promise<{ us: Map<string, number>; load: RowLoad }> {
  const { rounds = 9, minSampleMs = 3, warmupMs = 30 } = options;
  const before = cpuSample();
  const wall0 = performance.now();
  let externalMs = 0; // the child's own CPU time, not another process's load
  const external = async (c: ExternalContender, n: number) => {
    const ms = await c.sample(n);
    externalMs += ms;
    return ms;
  };
  const calls = new Map<string, number>();
  for (const c of contenders) {
    let perCall: number;
    if ('run' in c) {
      const start = performance.now();
      let n = 0;
      do {
        sink(c.run());
        n++;
      } while (performance.now() - start < warmupMs);
      perCall = (performance.now() - start) / n;
    } else {
      let [n, ms] = [1, await external(c, 1)];
      while (ms < warmupMs) {
        n *= 2;
        ms = await external(c, n);
      }
      perCall = ms / n;
    }
    calls.set(c.name, Math.max(1, Math.ceil(minSampleMs / perCall)));
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      const n = calls.get(c.name)!;
      let ms: number;
      if ('run' in c) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) sink(c.run());
        ms = performance.now() - t0;
      } else ms = await external(c, n);
      samples.get(c.name)!.push((ms * 1000) / n);
    }
  }
  const measured = otherCores(before, cpuSample());
  const others = measured === undefined ? undefined : Math.max(0, measured - externalMs / (performance.now() - wall0));
  return {
    us: new Map([...samples].map(([name, s]) => [name, median(s)])),
    load: { loadAverage: loadavg()[0], otherCores: others === undefined ? null : others },
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** GFLOP/s of a call that does `flops` floating-point operations in `us` microseconds. */
export function gflops(flops: number, us: number): number {
  return flops / us / 1000;
}
