import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** What the numbers were measured on. */
export interface Machine {
  date: string;
  cpu: string;
  logicalCores: number;
  node: string;
  v8: string;
  platform: string;
  /** Node flags that change what runs (e.g. --experimental-wasm-relaxed-simd). */
  execArgv: string[];
  /** CPU the process is pinned to, if any (taskset). */
  affinity: string;
  /** 1-minute load average when the run started: other work on a shared machine skews timings. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  let affinity = 'all';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpu;
    const flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1].split(' ') ?? [];
    const simd = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
    if (simd.length) cpu += ` (${simd.join(', ')})`;
    affinity = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? affinity;
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    date: new Date().toISOString(),
    cpu,
    logicalCores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    execArgv: process.execArgv,
    affinity,
    loadAverage: loadavg()[0],
  };
}
