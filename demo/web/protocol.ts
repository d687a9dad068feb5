/**
 * Messages between the page (demo/web/main.ts) and the training worker (demo/web/worker.ts).
 * Every message carries the run id of the Reset that started its run: the page drops answers
 * from an older run that were already on their way when it pressed Reset.
 */
import type { ModelKind } from '../recipes.js';
import type { LayerActivation, TrainConfig } from '../trainer.js';

export type ToWorker =
  /** (Re)builds the net on this backend with this config, or from a saved model file; training stays paused. */
  | {
      type: 'reset';
      run: number;
      backend: 'wasm' | 'ts';
      threads: 'auto' | 1;
      config: TrainConfig;
      model?: { name: string; bytes: Uint8Array };
    }
  /** The net and its optimizer as the bytes of a .safetensors file (answered by 'model'). */
  | { type: 'save'; run: number }
  /** Trains until the step count reaches `untilStep`, then reports 'done'. */
  | { type: 'start'; run: number; untilStep: number }
  | { type: 'pause'; run: number }
  /** Class probabilities for one preprocessed 28×28 image in [0, 1]. */
  | { type: 'predict'; run: number; pixels: Float32Array };

export type FromWorker = { run: number } /**
 * `threads`: how many threads the backend's kernels run on; `threadsUnavailable`: why only one, if more were asked.
 * `loaded`: the net of a model file, as the page's controls name it (its chapter-6 options are the file's, not the page's).
 */ & (
  | {
      type: 'ready';
      backend: string;
      threads: number;
      threadsUnavailable?: string;
      trainCount: number;
      testCount: number;
      stepsPerEpoch: number;
      /** The net that trains (a loaded file's kind, else the settings'); `sizes` is empty for the CNNs. */
      model: ModelKind;
      sizes: number[];
      grid: { indices: number[]; labels: number[]; pixels: Uint8Array };
      loaded?: {
        name: string;
        model: ModelKind;
        optimizer: string;
        lr: number;
        batchnorm: boolean;
        dropout: number;
        weightDecay: number;
      };
    }
  | { type: 'progress'; step: number; epoch: number; loss: number; stepsPerSecond: number; threadsInUse: number }
  /**
   * `units` are the hidden units whose change since init `weights` holds (784 floats each), most
   * changed first; for a net loaded from a file (`loadedWeights`, no init to subtract), the units
   * with the largest weights and the weights themselves.
   */
  | {
      type: 'eval';
      step: number;
      epoch: number;
      trainAccuracy: number;
      testAccuracy: number;
      predictions: Uint8Array;
      weights: Float32Array;
      units: number[];
      /** A CNN's first-layer filters (side×side each: 5 for the SimpleConvNet, 3 for the DeepConvNet). */
      filters?: Float32Array;
      filterSide?: number;
      loadedWeights?: boolean;
    }
  | { type: 'done'; step: number; epoch: number }
  /** `layers`: what every layer of the net gives for this image (Conv1's maps, …, the last Affine's scores). */
  | { type: 'probs'; probs: Float64Array; layers: LayerActivation[] }
  | { type: 'model'; bytes: Uint8Array }
  | { type: 'error'; message: string }
);

/** How many test digits the page shows, and how many first-layer units it draws. */
export const GRID_SIZE = 40;
export const WEIGHT_IMAGES = 16;
