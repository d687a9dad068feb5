/**
 * Allocations across 1,000 training steps of 784→50→10 (batch 100) on each of our backends:
 * tensors allocated after the first step, live tensors and bytes, and the WASM linear memory
 * size, at step 1 and step 1,000. A step should allocate nothing once the layers have sized
 * their buffers.
 */
import { createBackend, Sequential, SGD, type Backend, type WasmVariant } from '../ts/index.js';
import type { Contenders } from './contenders.js';
import { seededLabels, seededValues, sink } from './util.js';

export interface MemoryResult {
  backend: string;
  steps: number;
  /** Tensors allocated (backend.zeros calls) during steps 2..steps. */
  allocationsAfterFirstStep: number;
  liveTensors: [number, number];
  allocatedBytes: [number, number];
  linearMemoryBytes: [number, number];
}

export async function benchMemory(c: Contenders, steps = 1000): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const used of c.ours) {
    // A fresh instance of each, so the linear memory is this training run's alone.
    const be =
      used.kind === 'wasm'
        ? await createBackend('wasm', { variant: used.name.slice('wasm-'.length) as WasmVariant })
        : await createBackend('ts');
    const net = Sequential.mlp(be, [784, 50, 10], { seed: 1 });
    const x = be.tensor(seededValues(100 * 784, 30), [100, 784]);
    const t = be.tensor(seededLabels(100, 10, 31), [100]);
    const sgd = new SGD({ lr: 0.01 });
    const step = () => sgd.update(net.params, net.gradient(x, t));
    step();
    const first = be.memoryStats();
    let allocations = 0;
    const restore = countAllocations(be, () => allocations++);
    for (let i = 1; i < steps; i++) step();
    restore();
    const last = be.memoryStats();
    sink(net.lastLayer.loss);
    results.push({
      backend: be.name,
      steps,
      allocationsAfterFirstStep: allocations,
      liveTensors: [first.liveTensors, last.liveTensors],
      allocatedBytes: [first.allocatedBytes, last.allocatedBytes],
      linearMemoryBytes: [first.linearMemoryBytes, last.linearMemoryBytes],
    });
    console.log(
      `  ${be.name.padEnd(18)} ${allocations} allocations in steps 2..${steps}; linear memory ${first.linearMemoryBytes} → ${last.linearMemoryBytes} bytes`,
    );
    net.dispose();
    x.dispose();
    t.dispose();
  }
  return results;
}

/** Calls `onAlloc` on every tensor allocation of `be` (all go through `zeros`) until restored. */
function countAllocations(be: Backend, onAlloc: () => void): () => void {
  const zeros = be.zeros;
  be.zeros = function (shape) {
    onAlloc();
    return zeros.call(this, shape);
  };
  return () => {
    delete (be as { zeros?: unknown }).zeros; // back to the prototype's method
  };
}
