/** Messages between the page (demo/web/main.ts) and the training worker (demo/web/worker.ts). */
import type { TrainConfig } from '../trainer.js';

export type ToWorker =
  /** (Re)builds the net on this backend with this config; training stays paused. */
  | { type: 'reset'; backend: 'wasm' | 'ts'; config: TrainConfig }
  | { type: 'start' }
  | { type: 'pause' }
  /** Class probabilities for one preprocessed 28×28 image in [0, 1]. */
  | { type: 'predict'; pixels: Float32Array };

export type FromWorker =
  | { type: 'ready'; backend: string; trainCount: number; testCount: number; sizes: number[]; grid: { indices: number[]; labels: number[]; pixels: Uint8Array } }
  | { type: 'progress'; step: number; epoch: number; loss: number; stepsPerSecond: number }
  | { type: 'eval'; step: number; epoch: number; trainAccuracy: number; testAccuracy: number; predictions: Uint8Array; weights: Float32Array; weightCount: number }
  | { type: 'probs'; probs: Float64Array }
  | { type: 'error'; message: string };

/** How many test digits the page shows, and how many first-layer units it draws. */
export const GRID_SIZE = 40;
export const WEIGHT_IMAGES = 16;
