import { Affine } from '../layers/affine.js';
import { Convolution } from '../layers/convolution.js';
import { Pooling } from '../layers/pooling.js';
import { BatchNormalization } from '../layers/batch_normalization.js';
import { Dropout } from '../layers/dropout.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { describeValue } from '../core/checks.js';
import { Sequential } from '../nets/sequential.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import { Graph } from './graph.js';
import type { GraphNode } from './node.js';

export interface NetGraph {
  graph: Graph;
  /** The loss node (a number after forward). */
  loss: GraphNode;
  /** The input nodes of the parameters, keyed like `net.params`: W1, b1, W2, b2, … */
  params: Record<string, GraphNode>;
}

/**
 * A network (e.g. `TwoLayerNet`) as a computational graph: x and t as inputs, one input node per
 * parameter (the same tensors as `net.params`, so dW1 shows on the W1 edge), one node per layer
 * named as in the net (`Affine1`, `Relu1`, …), and `SoftmaxWithLoss` at the end. The graph has its
 * own layer instances; `net` is only read.
 */
export function graphFromNet(net: Sequential, x: Tensor, t: Tensor): NetGraph {
  if (!(net instanceof Sequential))
    throw new Error(`graphFromNet: expected a network (Sequential or TwoLayerNet), got ${describeValue(net)}`);
  checkTensor('graphFromNet', 'x', x);
  checkTensor('graphFromNet', 't', t);
  const graph = new Graph();
  const keyOf = new Map<Tensor, string>(Object.entries(net.params).map(([key, p]) => [p, key]));
  const params: Record<string, GraphNode> = {};
  const param = (tensor: Tensor): GraphNode => {
    const key = keyOf.get(tensor)!;
    return (params[key] ??= graph.input(key, tensor));
  };
  let out = graph.input('x', x);
  for (const [name, layer] of net.layers) {
    if (layer instanceof Affine) out = graph.affine(out, param(layer.W), param(layer.b), name);
    else if (layer instanceof Convolution)
      out = graph.convolution(out, param(layer.W), param(layer.b), { stride: layer.stride, pad: layer.pad }, name);
    else if (layer instanceof Pooling) out = graph.pooling(out, layer.poolH, layer.poolW, { stride: layer.stride, pad: layer.pad }, name);
    else if (layer instanceof Relu) out = graph.relu(out, name);
    else if (layer instanceof Sigmoid) out = graph.sigmoid(out, name);
    else if (layer instanceof BatchNormalization)
      out = graph.batchNorm(out, param(layer.gamma), param(layer.beta), name, { momentum: layer.momentum });
    else if (layer instanceof Dropout) out = graph.dropout(out, name, { ratio: layer.ratio });
    else
      throw new Error(
        `graphFromNet: layer '${name}' is a ${layer.constructor.name}; the graph knows Affine, Convolution, Pooling, Relu, Sigmoid, BatchNormalization and Dropout`,
      );
  }
  const loss = graph.softmaxWithLoss(out, graph.input('t', t), 'SoftmaxWithLoss');
  return { graph, loss, params };
}
