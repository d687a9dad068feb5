import type { Backend } from '../core/backend.js';
import { formatShape, sameShape, Tensor } from '../core/tensor.js';
import { GraphNode } from './node.js';
import type { ConvolutionOptions } from '../layers/convolution.js';
import type { DropoutOptions } from '../layers/dropout.js';
import type { PoolingOptions } from '../layers/pooling.js';
import { OP_INFO, type Value, type ValueKind } from './op_info.js';
import { BatchNormOp, ConvolutionOp, DropoutOp, type Op, OPS, PoolingOp } from './ops.js';

/** Default names that are numbered from the first node on (mul1, Affine1, …). */
const NUMBERED = new Set(
  Object.values(OP_INFO)
    .filter((op) => op.numbered)
    .map((op) => op.defaultName),
);

/**
 * A computational graph (§5.1–5.4) that records nodes as you apply them and then runs them:
 * `forward()` visits every node in topological order, `backward(output)` visits the output's
 * ancestors in reverse, and each node does only its local computation through the book's layer
 * classes. Every value and gradient stays readable on the nodes.
 *
 * ```ts
 * const g = new Graph();
 * const apple = g.input('apple', 100), appleNum = g.input('apple num', 2);
 * const price = g.mul(g.mul(apple, appleNum), g.input('tax', 1.1));
 * g.forward();       // price.value === 220
 * g.backward(price); // apple.grad === 2.2
 * ```
 *
 * One graph runs on one backend: all its tensors must come from the same backend instance.
 */
export class Graph {
  readonly #nodes: GraphNode[] = [];
  /** The backend of the graph's tensors and the input that fixed it (for error messages). */
  #backend: { backend: Backend; input: GraphNode } | null = null;
  /** Why values are out of date (null right after a complete forward()). */
  #stale: string | null = 'forward() has not run yet';
  readonly #names = new Map<string, number>();

  /** Every node, in recording order. */
  get nodes(): readonly GraphNode[] {
    return this.#nodes;
  }

  /** The backend of the graph's tensors, or null while it holds only numbers. */
  get backend(): Backend | null {
    return this.#backend?.backend ?? null;
  }

  // ---- recording -------------------------------------------------------------------------

  /** An input node holding a number or a tensor (kept by reference; the graph never frees it). */
  input(name: string, value: Value): GraphNode {
    const kind = this.#checkValue(`Graph.input('${name}')`, value, null);
    const node = new GraphNode(this.#nodes.length, this.#uniqueName(name), kind, null, [], value);
    this.#claimBackend(`Graph.input('${name}')`, node, value);
    return this.#record(node);
  }

  /** x · y on numbers (MulLayer). */
  mul(x: GraphNode, y: GraphNode, name = OP_INFO.mul.defaultName): GraphNode {
    return this.#apply(OPS.mul(), [x, y], name);
  }

  /** x + y on numbers (AddLayer). */
  add(x: GraphNode, y: GraphNode, name = OP_INFO.add.defaultName): GraphNode {
    return this.#apply(OPS.add(), [x, y], name);
  }

  /** exp(x) on a number; ∂y/∂x = exp(x) = y (the book's "exp" node). */
  exp(x: GraphNode, name = OP_INFO.exp.defaultName): GraphNode {
    return this.#apply(OPS.exp(), [x], name);
  }

  /** The natural log of a positive number; ∂y/∂x = 1/x (the "log" node of softmax-with-loss). */
  log(x: GraphNode, name = OP_INFO.log.defaultName): GraphNode {
    return this.#apply(OPS.log(), [x], name);
  }

  /** 1/x on a non-zero number; ∂y/∂x = −1/x² = −y² (the book's "/" node). */
  reciprocal(x: GraphNode, name = OP_INFO.reciprocal.defaultName): GraphNode {
    return this.#apply(OPS.reciprocal(), [x], name);
  }

  /** x² on a number; ∂y/∂x = 2x (the book's "**2" node of the chain rule). */
  square(x: GraphNode, name = OP_INFO.square.defaultName): GraphNode {
    return this.#apply(OPS.square(), [x], name);
  }

  /** x·W + b for a batch x (Affine); W and b are nodes too, so dW and db show on their edges. */
  affine(x: GraphNode, W: GraphNode, b: GraphNode, name = OP_INFO.affine.defaultName): GraphNode {
    return this.#apply(OPS.affine(), [x, W, b], name);
  }

  /** Convolution of a batch x [N, C, H, W] with filters W [FN, C, FH, FW] and biases b; dW and db show on their edges. */
  convolution(
    x: GraphNode,
    W: GraphNode,
    b: GraphNode,
    options: ConvolutionOptions = {},
    name = OP_INFO.convolution.defaultName,
  ): GraphNode {
    return this.#apply(new ConvolutionOp(options), [x, W, b], name);
  }

  /** Max pooling of x [N, C, H, W] with poolH×poolW windows (default 2×2, stride 2). */
  pooling(x: GraphNode, poolH = 2, poolW = 2, options: PoolingOptions = { stride: 2 }, name = OP_INFO.pooling.defaultName): GraphNode {
    return this.#apply(new PoolingOp(poolH, poolW, options), [x], name);
  }

  relu(x: GraphNode, name = OP_INFO.relu.defaultName): GraphNode {
    return this.#apply(OPS.relu(), [x], name);
  }

  sigmoid(x: GraphNode, name = OP_INFO.sigmoid.defaultName): GraphNode {
    return this.#apply(OPS.sigmoid(), [x], name);
  }

  /**
   * Batch normalization of x in training mode (batch statistics); γ and β are nodes too, so dγ
   * and dβ show on their edges.
   */
  batchNorm(
    x: GraphNode,
    gamma: GraphNode,
    beta: GraphNode,
    name = OP_INFO.batchNorm.defaultName,
    options: { momentum?: number } = {},
  ): GraphNode {
    return this.#apply(new BatchNormOp(options.momentum), [x, gamma, beta], name);
  }

  /** Dropout of x in training mode: a new mask from the seeded generator on every forward. */
  dropout(x: GraphNode, name = OP_INFO.dropout.defaultName, options: DropoutOptions = {}): GraphNode {
    return this.#apply(new DropoutOp(options), [x], name);
  }

  /** The mean cross-entropy of softmax(x) against targets t (one-hot or class indices): a number. */
  softmaxWithLoss(x: GraphNode, t: GraphNode, name = OP_INFO.softmaxWithLoss.defaultName): GraphNode {
    return this.#apply(OPS.softmaxWithLoss(), [x, t], name);
  }

  /** Gives an input node a new value (same kind; tensors from this graph's backend). Run forward() again after. */
  set(node: GraphNode, value: Value): void {
    const where = `Graph.set('${node?.name}')`;
    this.#checkOwn(where, node);
    if (node.op) throw new Error(`${where}: expected an input node, found ${node}; only inputs hold values you give`);
    this.#checkValue(where, value, node.kind);
    this.#claimBackend(where, node, value);
    node._setValue(value);
    this.#stale = `input '${node.name}' was set after the last forward()`;
  }

  /**
   * Rewires one edge: `node` takes `from` as its input number `index`. Throws, and leaves the
   * graph unchanged, if that would make a cycle (a node that depends on itself has no order).
   */
  setInput(node: GraphNode, index: number, from: GraphNode): void {
    const where = `Graph.setInput('${node?.name}', ${index}, '${from?.name}')`;
    this.#checkOwn(where, node);
    this.#checkOwn(where, from);
    if (!node.op) throw new Error(`${where}: expected an operation node, found ${node}; inputs have no incoming edges`);
    const expected = node.op.inputKinds;
    if (!Number.isInteger(index) || index < 0 || index >= expected.length) {
      throw new Error(`${where}: expected an input index in 0..${expected.length - 1} for ${node}, got ${index}`);
    }
    checkKind(where, `input ${index}`, expected[index], from);
    const before = node.inputs;
    node._setInputs(before.map((n, i) => (i === index ? from : n)));
    try {
      this.order();
    } catch (e) {
      node._setInputs([...before]);
      throw new Error(`${where}: ${(e as Error).message}; the edge was not changed`, { cause: e });
    }
    this.#stale = `the graph was rewired after the last forward()`;
  }

  // ---- running ---------------------------------------------------------------------------

  /** All nodes in topological order (every node after its inputs); throws on a cycle. */
  order(): GraphNode[] {
    return topologicalOrder(this.#nodes);
  }

  /** Forgets the computed values and gradients (inputs keep their values). */
  reset(): void {
    for (const n of this.#nodes) n._clear(true);
    this.#stale = 'the graph was reset after the last forward()';
  }

  /** Computes every node's value, inputs first. */
  forward(): void {
    for (const _ of this.forwardSteps());
  }

  /**
   * `forward()` one node at a time: yields each operation node right after computing its value
   * (for pages that step through the graph). Values are cleared before the first step.
   */
  *forwardSteps(): Generator<GraphNode, void, undefined> {
    const order = this.order();
    this.reset();
    for (const node of order) {
      if (!node.op) continue;
      node._forward();
      yield node;
    }
    this.#stale = null;
  }

  /**
   * Backpropagation from `output`: seeds ∂output/∂output = dout (1 for a number; a tensor of the
   * output's shape otherwise) and runs each ancestor's local backward in reverse topological order.
   */
  backward(output: GraphNode, dout?: Value): void {
    for (const _ of this.backwardSteps(output, dout));
  }

  /** `backward()` one node at a time: yields each operation node right after its local backward. */
  *backwardSteps(output: GraphNode, dout?: Value): Generator<GraphNode, void, undefined> {
    const where = `Graph.backward('${output?.name}')`;
    this.#checkOwn(where, output);
    if (this.#stale !== null) throw new Error(`${where}: ${this.#stale}; run forward() before backward()`);
    const seed = this.#checkDout(where, output, dout);
    const order = topologicalOrder([output]);
    for (const n of this.#nodes) n._clear(false);
    output._seed(seed);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (!node.op) continue;
      node._backward();
      yield node;
    }
  }

  /** Frees the buffers of every node's layer (not the input tensors, which the caller owns). */
  dispose(): void {
    for (const n of this.#nodes) n._dispose();
    this.#stale = 'the graph was disposed';
  }

  // ---- checks ----------------------------------------------------------------------------

  #apply(op: Op, inputs: GraphNode[], name: string): GraphNode {
    const where = `Graph.${op.type}`;
    inputs.forEach((n, i) => {
      this.#checkOwn(where, n);
      checkKind(where, `input ${i}`, op.inputKinds[i], n);
    });
    return this.#record(new GraphNode(this.#nodes.length, this.#uniqueName(name), op.outputKind, op, inputs));
  }

  #record(node: GraphNode): GraphNode {
    this.#nodes.push(node);
    this.#stale ??= `node '${node.name}' was added after the last forward()`;
    return node;
  }

  /** 'mul' → 'mul1', 'mul2', …; a name given once stays as it is ('apple'). */
  #uniqueName(name: string): string {
    if (typeof name !== 'string' || name === '')
      throw new Error(`Graph: expected a node name (a non-empty string), got ${JSON.stringify(name)}`);
    const count = (this.#names.get(name) ?? 0) + 1;
    this.#names.set(name, count);
    const isDefault = NUMBERED.has(name);
    return isDefault || count > 1 ? `${name}${count}` : name;
  }

  #checkOwn(where: string, node: GraphNode): void {
    if (!(node instanceof GraphNode)) throw new Error(`${where}: expected a node of this graph, got ${describe(node)}`);
    if (this.#nodes[node.id] !== node)
      throw new Error(`${where}: node '${node.name}' belongs to another Graph; nodes cannot be shared between graphs`);
  }

  #checkValue(where: string, value: Value, kind: ValueKind | null): ValueKind {
    let found: ValueKind;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`${where}: expected a finite number or a Tensor, got ${value}`);
      found = 'scalar';
    } else if (value instanceof Tensor) {
      if (value.disposed) throw new Error(`${where}: the tensor (shape ${formatShape(value.shape)}) was disposed`);
      found = 'tensor';
    } else {
      throw new Error(`${where}: expected a finite number or a Tensor, got ${describe(value)}`);
    }
    if (kind !== null && found !== kind)
      throw new Error(`${where}: expected a ${kindName(kind)} like the input's current value, got a ${kindName(found)}`);
    return found;
  }

  /** The first tensor fixes the graph's backend; every later tensor must come from the same instance. */
  #claimBackend(where: string, node: GraphNode, value: Value): void {
    if (typeof value === 'number') return;
    const owner = this.#backend;
    if (owner === null) {
      this.#backend = { backend: value.backend, input: node };
      return;
    }
    if (value.backend !== owner.backend) {
      const which =
        value.backend.name === owner.backend.name ? `another '${value.backend.name}' backend instance` : `backend '${value.backend.name}'`;
      throw new Error(
        `${where}: the tensor is on ${which}, but this graph runs on '${owner.backend.name}' (the backend of input '${owner.input.name}'); one graph runs on one backend`,
      );
    }
  }

  #checkDout(where: string, output: GraphNode, dout: Value | undefined): Value {
    if (output.kind === 'scalar') {
      const seed = dout ?? 1;
      if (typeof seed !== 'number' || !Number.isFinite(seed))
        throw new Error(`${where}: expected dout to be a finite number for a scalar output, got ${describe(seed)}`);
      return seed;
    }
    const value = output.value as Tensor;
    if (!(dout instanceof Tensor)) {
      throw new Error(
        `${where}: the output is a tensor of shape ${formatShape(value.shape)}, so dout must be a tensor of that shape (got ${describe(dout)})`,
      );
    }
    if (!sameShape(dout.shape, value.shape))
      throw new Error(`${where}: expected dout of shape ${formatShape(value.shape)} (the output's), got ${formatShape(dout.shape)}`);
    this.#claimBackend(where, output, dout);
    return dout;
  }
}

/**
 * Depth-first topological sort of `roots` and their ancestors (inputs before the nodes that use
 * them). A node met again while its own inputs are still being visited closes a cycle, which is
 * reported as a path.
 */
export function topologicalOrder(roots: readonly GraphNode[]): GraphNode[] {
  const order: GraphNode[] = [];
  const done = new Set<GraphNode>();
  const path: GraphNode[] = [];
  const visit = (node: GraphNode): void => {
    if (done.has(node)) return;
    const seen = path.indexOf(node);
    if (seen >= 0) {
      const cycle = [...path.slice(seen), node]
        .map((n) => n.name)
        .reverse()
        .join(' → ');
      throw new Error(`the graph has a cycle: ${cycle}`);
    }
    path.push(node);
    for (const input of node.inputs) visit(input);
    path.pop();
    done.add(node);
    order.push(node);
  };
  for (const root of roots) visit(root);
  return order;
}

function checkKind(where: string, what: string, expected: ValueKind, node: GraphNode): void {
  if (node.kind !== expected) {
    const hint =
      expected === 'scalar'
        ? ' (mul, add, exp, log, reciprocal and square take numbers; tensors go through affine, relu, sigmoid, batchNorm, dropout, softmaxWithLoss)'
        : '';
    throw new Error(`${where}: expected ${what} to be a ${kindName(expected)}, but '${node.name}' is a ${kindName(node.kind)}${hint}`);
  }
}

function kindName(kind: ValueKind): string {
  return kind === 'scalar' ? 'number' : 'tensor';
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return `${typeof v} ${String(v)}`;
}
