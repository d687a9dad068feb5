// Compiled by `tsc` in `npm test`, never run: the calls marked @ts-expect-error must not
// type-check, so the public types really catch these mistakes.
import { AddLayer, Affine, createBackend, type Layer, type LayerType, MulLayer, SGD, Tensor, TwoLayerNet } from '../../ts/index.js';
import type { LayerOf } from '../../ts/layers/kinds.js';

export async function typeErrors(t: Tensor): Promise<void> {
  // @ts-expect-error the backend kind is 'ts' or 'wasm'
  await createBackend('gpu');
  // @ts-expect-error the variant is 'auto', 'simd128' or 'scalar'
  await createBackend('wasm', { variant: 'avx' });
  // @ts-expect-error MulLayer works on numbers, not tensors
  new MulLayer().forward(t, 2);
  // @ts-expect-error AddLayer.backward returns a pair, not a number
  const d: number = new AddLayer().backward(1);
  // @ts-expect-error Affine takes W and b
  new Affine(t);
  // @ts-expect-error SGD takes an options object
  new SGD(0.1);
  const backend = await createBackend('ts');
  // @ts-expect-error the sizes are numbers
  new TwoLayerNet(backend, '784', 50, 10);
  // @ts-expect-error shape is read-only
  t.shape.push(1);
  // @ts-expect-error tensors come from backend.tensor / zeros / reshape: the constructor is private
  new Tensor(backend, [1], t as never, true, Symbol());
  void d;
}

// One descriptor per layer type (docs/adding-a-layer.md): every subsystem's table of layer types
// (FLOAT64, EXPORTERS, LAYER_KINDS, NODES) has this form, so a table that forgets a type fails tsc.
type PerLayerType = { readonly [K in LayerType]: (layer: LayerOf<K>) => string };

export const complete: PerLayerType = {
  Affine: (layer) => `${layer.W.shape}`,
  Convolution: (layer) => `${layer.stride}`,
  Pooling: (layer) => `${layer.poolH}`,
  Relu: (layer) => layer.type,
  Sigmoid: (layer) => layer.type,
  BatchNormalization: (layer) => `${layer.momentum}`,
  Dropout: (layer) => `${layer.ratio}`,
};

// @ts-expect-error a table without Dropout does not compile
export const forgetful: PerLayerType = {
  Affine: (layer) => `${layer.W.shape}`,
  Convolution: (layer) => `${layer.stride}`,
  Pooling: (layer) => `${layer.poolH}`,
  Relu: (layer) => layer.type,
  Sigmoid: (layer) => layer.type,
  BatchNormalization: (layer) => `${layer.momentum}`,
};

// Each entry receives its own class: a Relu has no W.
// @ts-expect-error Property 'W' does not exist on type 'Relu'
export const wrongClass: PerLayerType = { ...complete, Relu: (layer) => `${layer.W}` };

/** A layer whose type is not a LayerType cannot be a Layer: a new layer type starts in ts/layers/layer.ts. */
export class Unregistered implements Layer {
  // @ts-expect-error 'Softplus' is not a LayerType
  readonly type = 'Softplus';
  forward(x: Tensor): Tensor {
    return x;
  }
  backward(dout: Tensor): Tensor {
    return dout;
  }
  params() {
    return {};
  }
  grads() {
    return {};
  }
  dispose(): void {}
}
