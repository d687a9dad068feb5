import type { Backend } from '../core/backend.js';
import { Affine } from '../layers/affine.js';
import { BatchNormalization } from '../layers/batch_normalization.js';
import { Convolution } from '../layers/convolution.js';
import { DeepConvNet } from '../nets/deep_conv_net.js';
import { Dropout } from '../layers/dropout.js';
import { entryOf, type LayerOf } from '../layers/kinds.js';
import type { Layer, LayerType } from '../layers/layer.js';
import { Pooling } from '../layers/pooling.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { MultiLayerNetExtend } from '../nets/multi_layer_net_extend.js';
import { Sequential } from '../nets/sequential.js';
import { SimpleConvNet } from '../nets/simple_conv_net.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import { TwoLayerNet } from '../nets/two_layer_net.js';
import { checkWindow, outputSize } from '../core/window.js';

/**
 * The architecture of a saved net, as JSON in the file's metadata: enough for `loadModel` to
 * rebuild the same class with the same layers. Each layer kind and each net class is one entry
 * of a table below, so a new layer (Dropout, BatchNormalization, Convolution, Pooling) or net
 * (SimpleConvNet, DeepConvNet, MultiLayerNetExtend) is added by one entry that says how to describe it, which
 * tensors it keeps and how to build it back.
 */
export interface ArchitectureSpec {
  /** The net's class: 'Sequential', 'TwoLayerNet', 'MultiLayerNetExtend', 'SimpleConvNet' or 'DeepConvNet'. */
  class: string;
  layers: LayerSpec[];
  /** The last layer (the loss); 'SoftmaxWithLoss' is the only one today. */
  loss: 'SoftmaxWithLoss';
  /** The net's weight decay λ, when it has one (absent: 0). */
  weightDecayLambda?: number;
}

/** One layer: its kind, its name in the net, and the kind's own fields (sizes, options). */
export interface LayerSpec {
  type: string;
  name: string;
  [field: string]: unknown;
}

/** A tensor the architecture says the file holds: its name in the file and its shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** Set when every value must be ≥ 0: what the tensor is ("a running variance"), for the error. */
  nonNegative?: string;
}

/** How one layer type is saved and loaded; `L` is its class. */
interface LayerKind<L extends Layer> {
  /**
   * True for the layers with W and b (Affine, Convolution): they share one count, W1, W2, … in
   * net order, as `Sequential.params` and the book's deep_convnet number them. Every other kind
   * counts its own (gamma1, gamma2, …).
   */
  readonly weighted?: boolean;
  /**
   * The kind's fields of the spec (besides type and name); `incoming` is the shape of one sample
   * reaching the layer, when known.
   */
  describe(layer: L, incoming: readonly number[] | null): Record<string, unknown>;
  /** The tensors the layer keeps, in the order `tensors` and `build` use them. */
  tensors(layer: L): Tensor[];
  /**
   * Checks the spec's fields against the shape of one sample coming in (null when unknown: an
   * Affine flattens whatever it gets; a Convolution or Pooling names its [C, H, W] itself), and
   * returns the shape going out and the layer's tensors, named with `ordinal` (1 for the first
   * layer of this kind in the net, as the book numbers W1, W2, gamma1, …).
   */
  check(spec: LayerSpec, incoming: readonly number[] | null, ordinal: number): { outgoing: readonly number[] | null; params: ParamSpec[] };
  /** The layer, made from checked tensors (created on the backend by the caller). */
  build(spec: LayerSpec, tensors: Tensor[]): L;
}

const activation = <L extends Layer>(ctor: new () => L): LayerKind<L> => ({
  describe: () => ({}),
  tensors: () => [],
  check: (spec, incoming) => {
    noExtraFields(spec, []);
    return { outgoing: incoming, params: [] };
  },
  build: () => new ctor(),
});

/** Every layer type as a model file describes it: a new layer type needs its entry here (tsc says so). */
const LAYER_KINDS: { readonly [K in LayerType]: LayerKind<LayerOf<K>> } = {
  Affine: {
    weighted: true,
    describe: (layer) => {
      const [inputs, outputs] = layer.W.shape;
      return { inputs, outputs };
    },
    tensors: (layer) => [layer.W, layer.b],
    check: (spec, incoming, ordinal) => {
      noExtraFields(spec, ['inputs', 'outputs']);
      const inputs = positiveSize(spec, 'inputs');
      const outputs = positiveSize(spec, 'outputs');
      const features = incoming?.reduce((a, d) => a * d, 1) ?? inputs;
      if (features !== inputs)
        throw new Error(`loadModel: layer '${spec.name}' takes ${inputs} inputs but the layer before it gives ${features}`);
      return {
        outgoing: [outputs],
        params: [
          { name: `W${ordinal}`, shape: [inputs, outputs] },
          { name: `b${ordinal}`, shape: [outputs] },
        ],
      };
    },
    build: (_spec, [W, b]) => new Affine(W, b),
  },
  Convolution: {
    weighted: true,
    describe: (conv, incoming) => {
      const [filters, , fh, fw] = conv.W.shape;
      return { filters, kernel: [fh, fw], stride: conv.stride, pad: conv.pad, input: sampleShape(conv, incoming) };
    },
    tensors: (layer) => [layer.W, layer.b],
    check: (spec, incoming, ordinal) => {
      noExtraFields(spec, ['filters', 'kernel', 'stride', 'pad', 'input']);
      const filters = positiveSize(spec, 'filters');
      const [fh, fw] = sizeList(spec, 'kernel', 2);
      const [channels, oh, ow] = windowOutput(spec, incoming, fh, fw, 'filter');
      const params = [
        { name: `W${ordinal}`, shape: [filters, channels, fh, fw] },
        { name: `b${ordinal}`, shape: [filters] },
      ];
      return { outgoing: [filters, oh, ow], params };
    },
    build: (spec, [W, b]) => new Convolution(W, b, { stride: spec.stride as number, pad: spec.pad as number }),
  },
  Pooling: {
    describe: (pool, incoming) => ({
      pool: [pool.poolH, pool.poolW],
      stride: pool.stride,
      pad: pool.pad,
      input: sampleShape(pool, incoming),
    }),
    tensors: () => [],
    check: (spec, incoming) => {
      noExtraFields(spec, ['pool', 'stride', 'pad', 'input']);
      const [ph, pw] = sizeList(spec, 'pool', 2);
      return { outgoing: windowOutput(spec, incoming, ph, pw, 'pooling window'), params: [] };
    },
    build: (spec) => {
      const [ph, pw] = spec.pool as number[];
      return new Pooling(ph, pw, { stride: spec.stride as number, pad: spec.pad as number });
    },
  },
  Relu: activation(Relu),
  Sigmoid: activation(Sigmoid),
  BatchNormalization: {
    describe: (norm) => ({ features: norm.gamma.size, momentum: norm.momentum }),
    // γ and β are trained; the running statistics are what test mode uses, so they are saved too
    tensors: (norm) => [norm.gamma, norm.beta, norm.runningMean, norm.runningVar],
    check: (spec, incoming, ordinal) => {
      noExtraFields(spec, ['features', 'momentum']);
      const features = positiveSize(spec, 'features');
      const size = incoming?.reduce((a, d) => a * d, 1) ?? features;
      if (size !== features)
        throw new Error(`loadModel: layer '${spec.name}' normalises ${features} features but the layer before it gives ${size}`);
      BatchNormalization.checkMomentum(`loadModel: layer '${spec.name}'`, spec.momentum);
      const names = [`gamma${ordinal}`, `beta${ordinal}`, `runningMean${ordinal}`];
      const params: ParamSpec[] = names.map((name) => ({ name, shape: [features] }));
      params.push({ name: `runningVar${ordinal}`, shape: [features], nonNegative: 'a running variance' });
      return { outgoing: incoming, params };
    },
    build: (spec, [gamma, beta, runningMean, runningVar]) => {
      // the layer owns (and frees) its own running statistics: copy the file's into them
      const norm = new BatchNormalization(gamma, beta, { momentum: spec.momentum as number });
      norm.runningMean.data.set(runningMean.data);
      norm.runningVar.data.set(runningVar.data);
      runningMean.dispose();
      runningVar.dispose();
      return norm;
    },
  },
  Dropout: {
    describe: (layer) => ({ ratio: layer.ratio }),
    tensors: () => [],
    check: (spec, incoming) => {
      noExtraFields(spec, ['ratio']);
      Dropout.checkRatio(`loadModel: layer '${spec.name}'`, spec.ratio);
      return { outgoing: incoming, params: [] };
    },
    build: (spec) => new Dropout({ ratio: spec.ratio as number }),
  },
};

interface NetKind {
  readonly class: string;
  /** True for exactly this class (a subclass may add state this table does not know). */
  is(net: Sequential): boolean;
  /** The net, rebuilt from checked layer specs and their tensors (already on the backend). */
  build(backend: Backend, layers: LayerSpec[], tensors: Tensor[][], weightDecayLambda: number): Sequential;
}

const NET_KINDS: readonly NetKind[] = [
  {
    class: 'Sequential',
    is: (net) => net.constructor === Sequential,
    build: (_backend, layers, tensors, weightDecayLambda) =>
      new Sequential(
        layers.map((spec, i) => [spec.name, layerKind(spec.type).kind.build(spec, tensors[i])]),
        undefined,
        { weightDecayLambda },
      ),
  },
  {
    class: 'MultiLayerNetExtend',
    is: (net) => net.constructor === MultiLayerNetExtend,
    build: (backend, layers, tensors, weightDecayLambda) => {
      // The options follow from the layers; the net built from them must have exactly these layers.
      const affines = layers.filter((l) => l.type === 'Affine');
      if (affines.length === 0) throw new Error('loadModel: a MultiLayerNetExtend has Affine layers; the file describes none');
      const dropout = layers.find((l) => l.type === 'Dropout');
      const net = new MultiLayerNetExtend(
        backend,
        affines[0].inputs as number,
        affines.slice(0, -1).map((l) => l.outputs as number),
        affines[affines.length - 1].outputs as number,
        {
          activation: layers.some((l) => l.type === 'Sigmoid') ? 'sigmoid' : 'relu',
          useBatchnorm: layers.some((l) => l.type === 'BatchNormalization'),
          useDropout: dropout !== undefined,
          dropoutRatio: (dropout?.ratio as number | undefined) ?? 0.5,
          weightDecayLambda,
        },
      );
      return adopt('MultiLayerNetExtend', net, layers, tensors, weightDecayLambda);
    },
  },
  {
    class: 'TwoLayerNet',
    is: (net) => net.constructor === TwoLayerNet,
    build: (backend, layers, tensors, weightDecayLambda) => {
      requirePattern('TwoLayerNet', layers, 'Affine Affine1, Relu Relu1, Affine Affine2');
      const net = new TwoLayerNet(backend, layers[0].inputs as number, layers[0].outputs as number, layers[2].outputs as number);
      return adopt('TwoLayerNet', net, layers, tensors, weightDecayLambda);
    },
  },
  {
    class: 'SimpleConvNet',
    is: (net) => net.constructor === SimpleConvNet,
    build: (backend, layers, tensors, weightDecayLambda) => {
      requirePattern('SimpleConvNet', layers, 'Convolution Conv1, Relu Relu1, Pooling Pool1, Affine Affine1, Relu Relu2, Affine Affine2');
      const [conv, , , hidden, , classes] = layers;
      const [fh, fw] = conv.kernel as number[];
      if (fh !== fw) throw new Error(`loadModel: a SimpleConvNet has square filters; the file's Conv1 has ${fh}×${fw}`);
      const net = new SimpleConvNet(backend, {
        inputDim: conv.input as [number, number, number],
        filterNum: conv.filters as number,
        filterSize: fh,
        stride: conv.stride as number,
        pad: conv.pad as number,
        hiddenSize: hidden.outputs as number,
        outputSize: classes.outputs as number,
      });
      return adopt('SimpleConvNet', net, layers, tensors, weightDecayLambda);
    },
  },
  {
    class: 'DeepConvNet',
    is: (net) => net.constructor === DeepConvNet,
    build: (backend, layers, tensors, weightDecayLambda) => {
      requirePattern('DeepConvNet', layers, DEEP_PATTERN);
      const convs = layers.filter((l) => l.type === 'Convolution');
      const [hidden, classes] = layers.filter((l) => l.type === 'Affine');
      const net = new DeepConvNet(backend, {
        inputDim: convs[0].input as [number, number, number],
        // a non-square kernel is taken as its height here, and adopt() then refuses the file
        convParams: convs.map((c) => ({
          filterNum: c.filters as number,
          filterSize: (c.kernel as number[])[0],
          pad: c.pad as number,
          stride: c.stride as number,
        })),
        hiddenSize: hidden.outputs as number,
        outputSize: classes.outputs as number,
        dropoutRatio: layers.find((l) => l.type === 'Dropout')!.ratio as number,
      });
      return adopt('DeepConvNet', net, layers, tensors, weightDecayLambda);
    },
  },
];

/** The layers of a DeepConvNet as a file lists them ("Convolution Conv1, Relu Relu1, …"). */
const DEEP_PATTERN = [
  ...[1, 2, 3].flatMap((p) => [
    `Convolution Conv${2 * p - 1}`,
    `Relu Relu${2 * p - 1}`,
    `Convolution Conv${2 * p}`,
    `Relu Relu${2 * p}`,
    `Pooling Pool${p}`,
  ]),
  'Affine Affine1',
  'Relu Relu7',
  'Dropout Dropout1',
  'Affine Affine2',
  'Dropout Dropout2',
].join(', ');

/** Throws unless the layers are exactly `pattern` ("Affine Affine1, Relu Relu1, …"): the class's fixed layers. */
function requirePattern(className: string, layers: LayerSpec[], pattern: string): void {
  const found = layers.map((l) => `${l.type} ${l.name}`).join(', ');
  if (found !== pattern) throw new Error(`loadModel: a ${className} has layers ${pattern}; the file describes ${found}`);
}

/**
 * A net of a fixed class, built from options read off the file's layers, takes the file's tensors:
 * its own architecture must be exactly the file's (every size and option), else it is freed and
 * refused. The constructor drew random weights; the file's replace them.
 */
function adopt(name: string, net: Sequential, layers: LayerSpec[], tensors: Tensor[][], weightDecayLambda: number): Sequential {
  const built = describeNet(net);
  if (JSON.stringify(built.spec.layers) !== JSON.stringify(layers) || net.weightDecayLambda !== weightDecayLambda) {
    net.dispose();
    const pattern = (list: LayerSpec[]) => list.map((l) => `${l.type} ${l.name}`).join(', ');
    if (net.weightDecayLambda !== weightDecayLambda)
      throw new Error(`loadModel: a ${name} has weight decay λ ${net.weightDecayLambda}; the file says ${weightDecayLambda}`);
    throw new Error(
      `loadModel: the file's layers (${pattern(layers)}) are not a ${name}'s (${pattern(built.spec.layers)}, with the same sizes and options)`,
    );
  }
  for (const [i, t] of built.tensors.entries()) t.data.set(tensors.flat()[i].data);
  for (const t of tensors.flat()) t.dispose();
  return net;
}

/** The architecture of `net`, or an error naming what cannot be saved. */
export function describeNet(net: Sequential): { spec: ArchitectureSpec; tensors: Tensor[] } {
  if (!(net instanceof Sequential))
    throw new Error(
      `saveModel: expected a Sequential or TwoLayerNet, got ${net === null ? 'null' : typeof net === 'object' ? (net as object).constructor?.name : typeof net}`,
    );
  const netKind = NET_KINDS.find((k) => k.is(net));
  if (!netKind)
    throw new Error(
      `saveModel: a ${net.constructor.name} cannot be saved (loadModel rebuilds ${NET_KINDS.map((k) => k.class).join(', ')}); build it as a Sequential`,
    );
  const layers: LayerSpec[] = [];
  const tensors: Tensor[] = [];
  // The shape of one sample as it goes through the net (a Convolution's output is [FN, OH, OW]).
  let sample: readonly number[] | null = net instanceof SimpleConvNet || net instanceof DeepConvNet ? net.inputDim : null;
  for (const [name, layer] of net.layers) {
    const kind = entryOf<LayerKind<Layer>>(LAYER_KINDS, layer);
    if (!kind)
      throw new Error(
        `saveModel: layer '${name}' is a ${layer.constructor.name}, which cannot be saved yet (known: ${Object.keys(LAYER_KINDS).join(', ')})`,
      );
    const spec = { type: layer.type, name, ...kind.describe(layer, sample) };
    layers.push(spec);
    tensors.push(...kind.tensors(layer));
    sample = kind.check(spec, sample, 1).outgoing;
  }
  const spec: ArchitectureSpec = { class: netKind.class, layers, loss: 'SoftmaxWithLoss' };
  if (net.weightDecayLambda !== 0) spec.weightDecayLambda = net.weightDecayLambda;
  return { spec, tensors };
}

/**
 * Checks an architecture read from a file (anything may be in it) and returns, per layer, the
 * tensors it needs. Nothing is allocated.
 */
export function checkArchitecture(value: unknown): { spec: ArchitectureSpec; params: ParamSpec[][] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('loadModel: the architecture must be a JSON object { class, layers, loss }');
  const spec = value as Record<string, unknown>;
  if (!NET_KINDS.some((k) => k.class === spec.class))
    throw new Error(`loadModel: unknown net class ${JSON.stringify(spec.class)} (known: ${NET_KINDS.map((k) => k.class).join(', ')})`);
  if (spec.loss !== 'SoftmaxWithLoss')
    throw new Error(`loadModel: unknown loss layer ${JSON.stringify(spec.loss)} (known: SoftmaxWithLoss)`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new Error('loadModel: the architecture must list at least one layer');
  if (spec.weightDecayLambda !== undefined) Sequential.checkWeightDecayLambda('loadModel: the architecture', spec.weightDecayLambda);
  const names = new Set<string>();
  const ordinals = new Map<string, number>();
  const params: ParamSpec[][] = [];
  let sample: readonly number[] | null = null;
  for (const layer of spec.layers as unknown[]) {
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer))
      throw new Error(`loadModel: each layer must be an object { type, name, … }, got ${JSON.stringify(layer)}`);
    const { type, name } = layer as Record<string, unknown>;
    if (typeof name !== 'string' || name === '' || names.has(name))
      throw new Error(`loadModel: layer names must be unique non-empty strings, got ${JSON.stringify(name)}`);
    names.add(name);
    const { type: known, kind } = layerKind(type);
    const counter = kind.weighted ? 'W' : known;
    const ordinal = (ordinals.get(counter) ?? 0) + 1;
    ordinals.set(counter, ordinal);
    const checked = kind.check(layer as LayerSpec, sample, ordinal);
    sample = checked.outgoing;
    params.push(checked.params);
  }
  return { spec: spec as unknown as ArchitectureSpec, params };
}

/** Builds the net of a checked architecture from its tensors (one list per layer); frees them on failure. */
export function buildNet(backend: Backend, spec: ArchitectureSpec, tensors: Tensor[][]): Sequential {
  const kind = NET_KINDS.find((k) => k.class === spec.class)!;
  try {
    return kind.build(backend, spec.layers, tensors, spec.weightDecayLambda ?? 0);
  } catch (e) {
    for (const list of tensors) for (const t of list) t.dispose();
    throw e;
  }
}

/** The entry of a layer type read from a file (anything may be there). */
function layerKind(type: unknown): { type: LayerType; kind: LayerKind<Layer> } {
  if (typeof type !== 'string' || !Object.hasOwn(LAYER_KINDS, type))
    throw new Error(`loadModel: unknown layer type ${JSON.stringify(type)} (known: ${Object.keys(LAYER_KINDS).join(', ')})`);
  return { type: type as LayerType, kind: LAYER_KINDS[type as LayerType] as LayerKind<Layer> };
}

function positiveSize(spec: LayerSpec, field: string): number {
  const v = spec[field];
  if (!Number.isSafeInteger(v) || (v as number) <= 0)
    throw new Error(`loadModel: layer '${spec.name}' needs ${field} as a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** `spec[field]` as `count` positive integers: a kernel [FH, FW], an input [C, H, W]. */
function sizeList(spec: LayerSpec, field: string, count: number): number[] {
  const v = spec[field];
  if (!Array.isArray(v) || v.length !== count || !v.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new Error(`loadModel: layer '${spec.name}' needs ${field} as ${count} positive integers, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The [C, OH, OW] coming out of a window (filter or pooling) of fh×fw sliding over the spec's
 * `input` [C, H, W] with its stride and pad; the input must be what the layer before gives, and the
 * window must fit, so that the layer makes an output at all.
 */
function windowOutput(spec: LayerSpec, incoming: readonly number[] | null, fh: number, fw: number, what: string): [number, number, number] {
  const input = sizeList(spec, 'input', 3);
  if (incoming !== null && formatShape(incoming) !== formatShape(input)) {
    throw new Error(
      `loadModel: layer '${spec.name}' takes samples of shape ${formatShape(input)} but the layer before it gives ${formatShape(incoming)}`,
    );
  }
  const stride = positiveSize(spec, 'stride');
  const pad = spec.pad;
  if (!Number.isSafeInteger(pad) || (pad as number) < 0)
    throw new Error(`loadModel: layer '${spec.name}' needs pad as an integer ≥ 0, got ${JSON.stringify(pad)}`);
  const [c, h, w] = input;
  const window = { n: 1, c, h, w, fh, fw, stride, pad: pad as number };
  checkWindow(`loadModel: layer '${spec.name}'`, window, what);
  const { oh, ow } = outputSize(window);
  return [c, oh, ow];
}

/**
 * The [C, H, W] of one sample reaching a Convolution or Pooling: from the layer before it, or
 * (first in the net) from the last input the layer saw.
 */
function sampleShape(layer: Convolution | Pooling, incoming: readonly number[] | null): readonly number[] {
  const shape = incoming ?? layer.inputShape;
  if (shape === null)
    throw new Error(
      `saveModel: the net starts with a ${layer.constructor.name} that has not seen an input yet, so the [C, H, W] it takes is unknown: run predict on one batch before saving (a SimpleConvNet or DeepConvNet knows its inputDim)`,
    );
  return [...shape];
}

function noExtraFields(spec: LayerSpec, fields: string[]): void {
  for (const key of Object.keys(spec)) {
    if (key !== 'type' && key !== 'name' && !fields.includes(key))
      throw new Error(`loadModel: layer '${spec.name}' (${spec.type}) has an unknown field '${key}'`);
  }
}
