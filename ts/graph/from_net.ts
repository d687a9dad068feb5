import { describeValue } from '../core/checks.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import { entryOf, type LayerOf, typeList } from '../layers/kinds.js';
import type { Layer, LayerType } from '../layers/layer.js';
import { Sequential } from '../nets/sequential.js';
import { Graph } from './graph.js';
import type { GraphNode } from './node.js';

/** How a layer of one type becomes a node: `x` is its input node, `param` the input node of one of the net's parameters. */
interface NodeMaker<L extends Layer> {
  node(graph: Graph, layer: L, x: GraphNode, param: (t: Tensor) => GraphNode, name: string): GraphNode;
}

/** Every layer type as a graph node: a new layer type needs its entry here (tsc says so). */
const NODES: { readonly [K in LayerType]: NodeMaker<LayerOf<K>> } = {
  Affine: { node: (g, layer, x, param, name) => g.affine(x, param(layer.W), param(layer.b), name) },
  Convolution: {
    node: (g, layer, x, param, name) => g.convolution(x, param(layer.W), param(layer.b), { stride: layer.stride, pad: layer.pad }, name),
  },
  Pooling: { node: (g, layer, x, _param, name) => g.pooling(x, layer.poolH, layer.poolW, { stride: layer.stride, pad: layer.pad }, name) },
  Relu: { node: (g, _layer, x, _param, name) => g.relu(x, name) },
  Sigmoid: { node: (g, _layer, x, _param, name) => g.sigmoid(x, name) },
  BatchNormalization: {
    node: (g, layer, x, param, name) => g.batchNorm(x, param(layer.gamma), param(layer.beta), name, { momentum: layer.momentum }),
  },
  Dropout: { node: (g, layer, x, _param, name) => g.dropout(x, name, { ratio: layer.ratio }) },
};

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
    params[key] ??= graph.input(key, tensor);
    return params[key];
  };
  let out = graph.input('x', x);
  for (const [name, layer] of net.layers) {
    const maker = entryOf<NodeMaker<Layer>>(NODES, layer);
    if (!maker) throw new Error(`graphFromNet: layer '${name}' is a ${layer.constructor.name}; the graph knows ${typeList(NODES)}`);
    out = maker.node(graph, layer, out, param, name);
  }
  const loss = graph.softmaxWithLoss(out, graph.input('t', t), 'SoftmaxWithLoss');
  return { graph, loss, params };
}
