/**
 * backprop-wasm: the backpropagation layers of *Deep Learning from Scratch*, chapters 5–8, on a
 * pure-TypeScript backend and a Rust → WebAssembly SIMD backend with the same API.
 *
 * The public surface: what a user of the README needs, no more. Backends come from
 * `createBackend` (`Backend` is a type here, not a class to construct); internals (checks, the
 * kernel contract, the float64 reference of the gradient check, graph ordering, file-format
 * constants) stay inside, and tests import them from their modules.
 * test/package/package.test.ts pins this list.
 *
 * @module backprop-wasm
 */
export type { Backend, MemoryStats, TargetKind } from './core/backend.js';
export { createBackend } from './backends/create.js';
export type { CreateBackendOptions } from './backends/create.js';
export { Tensor } from './core/tensor.js';
export type { TensorValues, NestedArray } from './core/values.js';
export { argmax } from './core/values.js';
export { MulLayer } from './layers/mul.js';
export { AddLayer } from './layers/add.js';
export { Relu } from './layers/relu.js';
export { Sigmoid } from './layers/sigmoid.js';
export { Affine } from './layers/affine.js';
export { Convolution } from './layers/convolution.js';
export type { ConvolutionOptions } from './layers/convolution.js';
export { Pooling } from './layers/pooling.js';
export type { PoolingOptions } from './layers/pooling.js';
export { Dropout } from './layers/dropout.js';
export type { DropoutOptions } from './layers/dropout.js';
export { BatchNormalization } from './layers/batch_normalization.js';
export type { BatchNormalizationOptions } from './layers/batch_normalization.js';
export { SoftmaxWithLoss, NonFiniteLossError } from './layers/softmax_with_loss.js';
export type { Layer, LayerParams, LayerType } from './layers/layer.js';
export { Graph } from './graph/graph.js';
export { GraphNode } from './graph/node.js';
export type { OpType, Value, ValueKind } from './graph/op_info.js';
export { graphFromNet } from './graph/from_net.js';
export type { NetGraph } from './graph/from_net.js';
export { shoppingGraph } from './graph/examples.js';
export type { ShoppingGraph, ShoppingNames } from './graph/examples.js';
export { Sequential } from './nets/sequential.js';
export type { MlpOptions, SequentialOptions } from './nets/sequential.js';
export type { Params } from './core/tensor.js';
export { MultiLayerNetExtend } from './nets/multi_layer_net_extend.js';
export type { MultiLayerNetExtendOptions } from './nets/multi_layer_net_extend.js';
export { TwoLayerNet } from './nets/two_layer_net.js';
export type { TwoLayerNetOptions } from './nets/two_layer_net.js';
export { SimpleConvNet } from './nets/simple_conv_net.js';
export type { SimpleConvNetOptions } from './nets/simple_conv_net.js';
export { DeepConvNet } from './nets/deep_conv_net.js';
export type { ConvParam, DeepConvNetOptions } from './nets/deep_conv_net.js';
export { SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, OPTIMIZERS, createOptimizer } from './training/optimizers.js';
export type { Optimizer, OptimizerName } from './training/optimizers.js';
export { saveModel, loadModel, LIBRARY_VERSION } from './io/model.js';
export type { SaveModelOptions, LoadedModel } from './io/model.js';
export { importTorchMlp } from './io/torch.js';
export type { TorchImportOptions } from './io/torch.js';
export { readSafetensors, writeSafetensors, toFloat32 } from './io/safetensors.js';
export type { ReadSafetensorsOptions, SafetensorsEntry, SafetensorsFile, TensorToWrite } from './io/safetensors.js';
export { Random } from './core/random.js';
export { initWeights } from './training/init.js';
export type { WeightInit } from './training/init.js';
export { gradientCheck, compareGradients } from './training/gradient_check.js';
export { numericalGradient } from './training/numerical_gradient.js';
export type {
  CheckedNet,
  GradientCheckOptions,
  GradientCheckResult,
  GradientComparison,
  GradientElement,
} from './training/gradient_check.js';
export { simd128Supported, relaxedSimdSupported, variantSupported, bestVariant } from './wasm/load.js';
export type { WasmVariant } from './wasm/load.js';
