import type { GraphNode } from '../graph/node.js';
import { OPS, type StepText, type Value } from '../graph/ops.js';
import { describeValue } from '../core/checks.js';
import { formatValue, type FormatOptions } from './format.js';

/**
 * One sentence on the local computation a node just did, with its numbers: what a page stepping
 * through `forwardSteps()` / `backwardSteps()` shows next to the highlighted node. It reads the
 * values the node already holds; it computes nothing itself.
 */
export function explainStep(node: GraphNode, phase: 'forward' | 'backward', options: FormatOptions = {}): string {
  if (typeof node !== 'object' || node === null || !Array.isArray(node.inputs) || typeof node.name !== 'string') {
    throw new Error(`explainStep: expected a node of a Graph, got ${describeValue(node)}`);
  }
  if (phase !== 'forward' && phase !== 'backward')
    throw new Error(`explainStep: expected phase 'forward' or 'backward', got ${describeValue(phase)}`);
  const f = (v: Value | null | undefined) => formatValue(v, options);
  if (node.type === 'input') return phase === 'forward' ? `${node.name} = ${f(node.value)}` : `${node.name}: ${f(node.grad)}`;
  const op = OPS[node.type];
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
