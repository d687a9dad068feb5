import type { GraphNode } from '../graph/node.js';
import type { Value } from '../graph/ops.js';
import { describeValue } from '../checks.js';
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
  if (phase !== 'forward' && phase !== 'backward') throw new Error(`explainStep: expected phase 'forward' or 'backward', got ${describeValue(phase)}`);
  const f = (v: Value | null | undefined) => formatValue(v, options);
  const [a, b] = node.inputs;
  const out = f(node.value);
  if (phase === 'forward') {
    switch (node.type) {
      case 'mul': return `${node.name}: ${f(a.value)} × ${f(b.value)} = ${out}`;
      case 'add': return `${node.name}: ${f(a.value)} + ${f(b.value)} = ${out}`;
      case 'affine': return `${node.name}: x·W + b = ${out}`;
      case 'relu': return `${node.name}: max(x, 0) = ${out}`;
      case 'sigmoid': return `${node.name}: 1 / (1 + exp(−x)) = ${out}`;
      case 'softmaxWithLoss': return `${node.name}: cross-entropy(softmax(x), t) = ${out}`;
      default: return `${node.name} = ${out}`;
    }
  }
  const dout = f(node.grad);
  const g = (i: number) => f(node.inputGrad(i));
  switch (node.type) {
    case 'mul': return `${node.name}: the inputs swap — ∂/∂${a.name} = ${dout} × ${f(b.value)} = ${g(0)}, ∂/∂${b.name} = ${dout} × ${f(a.value)} = ${g(1)}`;
    case 'add': return `${node.name}: ${dout} passes through unchanged to ${a.name} (${g(0)}) and ${b.name} (${g(1)})`;
    case 'affine': return `${node.name}: dx = dout·Wᵀ = ${g(0)}, dW = xᵀ·dout = ${g(1)}, db = Σ dout = ${g(2)}`;
    case 'relu': return `${node.name}: dout where x > 0, else 0 = ${g(0)}`;
    case 'sigmoid': return `${node.name}: dout·(1 − y)·y = ${g(0)}`;
    case 'softmaxWithLoss': return `${node.name}: dx = (y − t) / N = ${g(0)}`;
    default: return `${node.name}: ${dout}`;
  }
}
