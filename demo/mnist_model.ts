/**
 * Model files for the MNIST demos (CLI and page): `loadModel` plus the check that the net fits
 * MNIST (784 inputs, 10 classes) and a one-line description for logs and the JSON summary.
 * No Node or DOM imports: the CLI reads the file, the page's worker gets the bytes.
 */
import {
  BatchNormalization,
  createBackend,
  createOptimizer,
  DeepConvNet,
  Dropout,
  loadModel,
  OPTIMIZERS,
  saveModel,
  SimpleConvNet,
  type Backend,
  type LoadedModel,
  type Optimizer,
  type OptimizerName,
  type Sequential,
} from '../ts/index.js';
import { CLASSES, IMAGE_SIDE, IMAGE_SIZE } from './mnist_format.js';
import type { ModelKind } from './recipes.js';
import { modelKind } from './trainer.js';

export interface MnistModel {
  net: Sequential;
  /** 'cnn' for a SimpleConvNet, 'deep' for a DeepConvNet (both take [1, 28, 28] images), else 'mlp'. */
  kind: ModelKind;
  /** The optimizer saved with the net, if any (training then resumes exactly). */
  optimizer?: Optimizer;
  /** Layer sizes, inputs first: [784, 256, 128, 10] (a SimpleConvNet: 784, then its Affine layers' outputs). */
  sizes: number[];
  /** The saved optimizer by its CLI / page name ('adam'), or null. */
  optimizerName: OptimizerName | null;
}

/** The CNNs by name, for messages: not by `constructor.name`, which a bundler may rename. */
const CNN_NAMES = { cnn: 'SimpleConvNet', deep: 'DeepConvNet' } as const;

/** The bytes of a model file: the net and its optimizer's state (for exact resumption). */
export function saveMnistModel(net: Sequential, optimizer: Optimizer): Uint8Array {
  return saveModel(net, { optimizer });
}

/**
 * The layer sizes of a net: the inputs per sample, then every Affine's outputs ([784, 100, 10]
 * for the SimpleConvNet on MNIST; a filter bank W1 [FN, C, FH, FW] is not a layer size).
 */
export function netSizes(net: Sequential): number[] {
  const weights = Object.keys(net.params)
    .filter((k) => /^W\d+$/.test(k))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const affine = weights.map((k) => net.params[k]).filter((W) => W.shape.length === 2);
  if (net instanceof SimpleConvNet || net instanceof DeepConvNet)
    return [net.inputDim.reduce((a, d) => a * d, 1), ...affine.map((W) => W.shape[1])];
  return weights.length === 0 ? [] : [net.params[weights[0]].shape[0], ...affine.map((W) => W.shape[1])];
}

/** The chapter-6 options a net was built with, read off its layers (so a loaded net reports its own). */
export function chapter6Options(net: Sequential): { dropout: number; batchnorm: boolean; weightDecay: number } {
  const layers = [...net.layers.values()];
  const dropout = layers.find((l): l is Dropout => l instanceof Dropout);
  return {
    dropout: dropout?.ratio ?? 0,
    batchnorm: layers.some((l) => l instanceof BatchNormalization),
    weightDecay: net.weightDecayLambda,
  };
}

/**
 * How the apps name a net: "784→256→128→10 MLP", "784→32→10 MLP (batchnorm, dropout 0.1)",
 * "SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10)",
 * "DeepConvNet (conv 16, 16, 32, 32, 64, 64 ×3×3 → 3 pools → 50 → 10, dropout 0.25)".
 */
export function describeMnistNet(net: Sequential): string {
  const sizes = netSizes(net);
  if (!(net instanceof SimpleConvNet || net instanceof DeepConvNet)) {
    const { dropout, batchnorm, weightDecay } = chapter6Options(net);
    const extras = [
      batchnorm ? 'batchnorm' : '',
      dropout ? `dropout ${dropout}` : '',
      weightDecay ? `weight decay ${weightDecay}` : '',
    ].filter(Boolean);
    return `${sizes.join('→')} MLP${extras.length ? ` (${extras.join(', ')})` : ''}`;
  }
  const [filters, , fh, fw] = net.params.W1.shape;
  if (net instanceof SimpleConvNet) return `SimpleConvNet (conv ${filters}×${fh}×${fw} → relu → pool 2×2 → ${sizes.slice(1).join(' → ')})`;
  return `DeepConvNet (conv ${net.convParams.map((c) => c.filterNum).join(', ')} ×${fh}×${fw} → 3 pools → ${sizes.slice(1).join(' → ')}, dropout ${chapter6Options(net).dropout})`;
}

/**
 * Loads a model file on a throwaway pure-TS backend and frees it again, so that the page can
 * refuse a bad file before it touches the net being trained; returns the kind of net it holds.
 */
export async function checkMnistModel(bytes: Uint8Array, source: string): Promise<ModelKind> {
  const model = loadMnistModel(await createBackend('ts'), bytes, source);
  model.net.dispose();
  model.optimizer?.dispose();
  return model.kind;
}

/** The model in `bytes` (a saveModel file), checked to take a 28×28 digit and give 10 classes. */
export function loadMnistModel(backend: Backend, bytes: Uint8Array, source: string): MnistModel {
  let loaded: LoadedModel;
  try {
    loaded = loadModel(backend, bytes);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  const { net } = loaded;
  const sizes = netSizes(net);
  const kind = modelKind(net);
  // The apps feed an MLP rows of 784 pixels and the CNNs [1, 28, 28] images; a net with
  // W1 of another rank (a hand-built conv Sequential) fits neither.
  const problem =
    net instanceof SimpleConvNet || net instanceof DeepConvNet
      ? net.inputDim.join('×') !== `1×${IMAGE_SIDE}×${IMAGE_SIDE}`
        ? `a ${CNN_NAMES[kind as 'cnn' | 'deep']} on ${net.inputDim.join('×')} images`
        : null
      : net.params.W1 && net.params.W1.shape.length !== 2
        ? `a net whose W1 has shape [${net.params.W1.shape.join(', ')}]`
        : null;
  if (problem !== null || sizes[0] !== IMAGE_SIZE || sizes[sizes.length - 1] !== CLASSES) {
    net.dispose();
    loaded.optimizer?.dispose();
    throw new Error(
      `${source}: expected an MNIST model (an MLP of ${IMAGE_SIZE} inputs → … → ${CLASSES} classes, or a SimpleConvNet or DeepConvNet on 1×${IMAGE_SIDE}×${IMAGE_SIDE} images), found ${problem ?? (sizes.join('→') || 'no Affine layer')}`,
    );
  }
  return { net, kind, optimizer: loaded.optimizer, sizes, optimizerName: loaded.optimizer ? optimizerName(loaded.optimizer) : null };
}

/** 'adam' for an Adam, …: by class, not by class name (the page's minified bundle renames classes). */
function optimizerName(optimizer: Optimizer): OptimizerName | null {
  return OPTIMIZERS.find((name) => createOptimizer(name).constructor === optimizer.constructor) ?? null;
}
