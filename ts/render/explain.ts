import { describeValue } from '../core/checks.js';
import { OP_INFO, type OpText, type OpType, type StepText, type Value } from '../graph/op_info.js';
// The core as the package's main entry: the render bundle keeps this import instead of a copy,
// so a GraphNode made by 'backprop-wasm' is an instance of this very class.
import { GraphNode } from '../index.js';
import { formatValue, type FormatOptions } from './format.js';

/** The sentences of every op, for a page in another language than OP_INFO's English (tsc names a missing op). */
export type OpTexts = Record<Exclude<OpType, 'input'>, OpText>;

export interface ExplainOptions extends FormatOptions {
  /** The sentences to use instead of OP_INFO's English ones (default: English). */
  texts?: OpTexts;
}

/**
 * One sentence on the local computation a node just did, with its numbers: what a page stepping
 * through `forwardSteps()` / `backwardSteps()` shows next to the highlighted node. It reads the
 * values the node already holds; it computes nothing itself.
 */
export function explainStep(node: GraphNode, phase: 'forward' | 'backward', options: ExplainOptions = {}): string {
  if (!(node instanceof GraphNode)) {
    throw new Error(`explainStep: expected a node of a Graph, got ${describeValue(node)}`);
  }
  if (phase !== 'forward' && phase !== 'backward')
    throw new Error(`explainStep: expected phase 'forward' or 'backward', got ${describeValue(phase)}`);
  const f = (v: Value | null | undefined) => formatValue(v, options);
  if (node.type === 'input') return phase === 'forward' ? `${node.name} = ${f(node.value)}` : `${node.name}: ${f(node.grad)}`;
  const op = (options.texts ?? OP_INFO)[node.type];
  const text: StepText = {
    name: node.name,
    input: (i) => node.inputs[i].name,
    value: (i) => f(node.inputs[i].value),
    out: f(node.value),
    dout: f(node.grad),
    grad: (i) => f(node.inputGrad(i)),
  };
  return phase === 'forward' ? op.forwardText(text) : op.backwardText(text);
}
