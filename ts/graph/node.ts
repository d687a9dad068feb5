import { reuseBuffer } from '../layers/layer.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import type { OpType, Value, ValueKind } from './op_info.js';
import type { Op } from './ops.js';

/**
 * One node of a computational graph: an input (a value the user gives) or an operation applied
 * to earlier nodes. After `graph.forward()` it holds its `value`; after `graph.backward(out)` its
 * `grad` (∂out/∂this node) and, for operations, the gradient it sent back along each input edge.
 *
 * Tensor values and gradients are owned by the node's own layer (or by the user, for inputs)
 * and are overwritten by the next forward/backward; copy them with `toArray()` to keep them.
 * Nodes are made by the `Graph` methods (`input`, `mul`, `affine`, …), never directly.
 */
export class GraphNode {
  /** Position in recording order; unique within the graph. */
  readonly id: number;
  readonly name: string;
  readonly type: OpType;
  readonly kind: ValueKind;
  /** @internal The layer wrapper doing the local computation; null for inputs. */
  readonly op: Op | null;
  #inputs: GraphNode[];
  #value: Value | undefined;
  #grad: Value | undefined;
  #inputGrads: (Value | null)[] | undefined;
  /** Where tensor gradients from several consumers are summed (the book's branch node). */
  #gradSum: Tensor | null = null;

  /** @internal */
  constructor(id: number, name: string, kind: ValueKind, op: Op | null, inputs: GraphNode[], value?: Value) {
    this.id = id;
    this.name = name;
    this.type = op?.type ?? 'input';
    this.kind = kind;
    this.op = op;
    this.#inputs = inputs;
    this.#value = value;
  }

  /** The nodes whose values this node takes, in the op's argument order. */
  get inputs(): readonly GraphNode[] {
    return this.#inputs;
  }

  /** The forward value; `undefined` for an operation until `forward()` has computed it. */
  get value(): Value | undefined {
    return this.#value;
  }

  /** ∂output/∂(this node) after `backward(output)`; `undefined` before, or if no path leads to the output. */
  get grad(): Value | undefined {
    return this.#grad;
  }

  /**
   * The gradient this node sent back along the edge from `inputs[i]` in the last backward:
   * for a multiply node, dout·y for input 0. `null` where the op computes none (the targets of
   * softmaxWithLoss), `undefined` before backward.
   */
  inputGrad(i: number): Value | null | undefined {
    return this.#inputGrads?.[i];
  }

  /** `[]` for a number, the tensor's shape, or `undefined` before the value exists. */
  get shape(): readonly number[] | undefined {
    if (this.#value === undefined) return undefined;
    return typeof this.#value === 'number' ? [] : this.#value.shape;
  }

  toString(): string {
    const shape = this.kind === 'tensor' && this.shape ? formatShape(this.shape) : '';
    return `${this.type === 'input' ? 'input' : this.type} '${this.name}'${shape}`;
  }

  // ---- used by Graph only ----------------------------------------------------------------

  /** @internal */
  _setInputs(inputs: GraphNode[]): void {
    this.#inputs = inputs;
  }

  /** @internal A new value for an input node. */
  _setValue(value: Value): void {
    this.#value = value;
  }

  /** @internal Forgets computed values (operations only) and all gradients. */
  _clear(values: boolean): void {
    if (values && this.op) this.#value = undefined;
    this.#grad = undefined;
    this.#inputGrads = undefined;
  }

  /** @internal The local forward computation, from the inputs' values. */
  _forward(): void {
    if (!this.op) return;
    const inputs = this.#inputs.map((n) => n.#value as Value);
    try {
      this.#value = this.op.forward(inputs);
    } catch (e) {
      throw new Error(`Graph.forward: node ${this} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** @internal The gradient of the output itself (dout, usually 1). */
  _seed(dout: Value): void {
    this.#grad = dout;
  }

  /** @internal The local backward computation: this node's grad → one gradient per input edge. */
  _backward(): void {
    if (!this.op || this.#grad === undefined) return;
    let grads: (Value | null)[];
    try {
      grads = this.op.backward(this.#grad);
    } catch (e) {
      throw new Error(`Graph.backward: node ${this} failed: ${(e as Error).message}`, { cause: e });
    }
    this.#inputGrads = grads;
    grads.forEach((g, i) => {
      if (g !== null) this.#inputs[i].#receive(g);
    });
  }

  /** Adds a gradient arriving from one consumer: a node used twice gets the sum (chain rule at a branch). */
  #receive(g: Value): void {
    if (this.#grad === undefined) {
      this.#grad = g;
    } else if (typeof g === 'number') {
      this.#grad = (this.#grad as number) + g;
    } else {
      // A second tensor gradient: sum into a buffer this node owns (the first one belongs to a
      // consumer's layer).
      const acc = reuseBuffer(this.#gradSum, g.backend, g.shape);
      if (this.#grad !== acc) acc.data.set((this.#grad as Tensor).data);
      g.backend.accumulate(acc, g);
      this.#gradSum = this.#grad = acc;
    }
  }

  /** @internal Frees the layer's buffers and the gradient sum. */
  _dispose(): void {
    this.op?.dispose();
    this.#gradSum?.dispose();
    this.#gradSum = null;
    this._clear(true);
  }
}
