/**
 * Model files for the MNIST demos (CLI and page): `loadModel` plus the check that the net fits
 * MNIST (784 inputs, 10 classes) and a one-line description for logs and the JSON summary.
 * No Node or DOM imports: the CLI reads the file, the page's worker gets the bytes.
 */
import { createBackend, createOptimizer, loadModel, OPTIMIZERS, saveModel, type Backend, type Optimizer, type OptimizerName, type Sequential } from '../ts/index.js';
import { CLASSES, IMAGE_SIZE } from './mnist_format.js';

export interface MnistModel {
  net: Sequential;
  /** The optimizer saved with the net, if any (training then resumes exactly). */
  optimizer?: Optimizer;
  /** Layer sizes, inputs first: [784, 256, 128, 10]. */
  sizes: number[];
  /** The saved optimizer by its CLI / page name ('adam'), or null. */
  optimizerName: OptimizerName | null;
}

/** The bytes of a model file: the net and its optimizer's state (for exact resumption). */
export function saveMnistModel(net: Sequential, optimizer: Optimizer): Uint8Array {
  return saveModel(net, { optimizer });
}

/** The layer sizes of a net: W1's inputs, then every Affine's outputs. */
export function netSizes(net: Sequential): number[] {
  const weights = Object.keys(net.params).filter((k) => /^W\d+$/.test(k)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  return weights.length === 0 ? [] : [net.params[weights[0]].shape[0], ...weights.map((k) => net.params[k].shape[1])];
}

/** The model in `bytes` (a saveModel file), checked to take 784 pixels and give 10 classes. */
/**
 * Loads a model file on a throwaway pure-TS backend and frees it again, so that the page can
 * refuse a bad file before it touches the net being trained.
 */
export async function checkMnistModel(bytes: Uint8Array, source: string): Promise<void> {
  const model = loadMnistModel(await createBackend('ts'), bytes, source);
  model.net.dispose();
  model.optimizer?.dispose();
}

export function loadMnistModel(backend: Backend, bytes: Uint8Array, source: string): MnistModel {
  let loaded;
  try {
    loaded = loadModel(backend, bytes);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  const sizes = netSizes(loaded.net);
  if (sizes[0] !== IMAGE_SIZE || sizes[sizes.length - 1] !== CLASSES) {
    loaded.net.dispose();
    loaded.optimizer?.dispose();
    throw new Error(`${source}: expected an MNIST model (${IMAGE_SIZE} inputs → … → ${CLASSES} classes), found ${sizes.join('→') || 'no Affine layer'}`);
  }
  return { net: loaded.net, optimizer: loaded.optimizer, sizes, optimizerName: loaded.optimizer ? optimizerName(loaded.optimizer) : null };
}

/** 'adam' for an Adam, …: by class, not by class name (the page's minified bundle renames classes). */
function optimizerName(optimizer: Optimizer): OptimizerName | null {
  return OPTIMIZERS.find((name) => createOptimizer(name).constructor === optimizer.constructor) ?? null;
}
