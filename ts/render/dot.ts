import { checkObject, describeValue } from '../core/checks.js';
import { OP_INFO, type Value } from '../graph/op_info.js';
// The core as the package's main entry: the render bundle keeps this import instead of a copy,
// so a Graph made by 'backprop-wasm' is an instance of this very class.
import { Graph, type GraphNode } from '../index.js';
import { formatValue, type FormatOptions } from './format.js';

export interface DotOptions extends FormatOptions {
  /** A node drawn filled, with its input edges bold: the one whose local computation is shown. */
  highlight?: GraphNode | null;
  /** Colour of forward values, above each edge (default black, as in the book). */
  valueColor?: string;
  /** Colour of gradients, below each edge (default red, as in the book). */
  gradColor?: string;
  /** A caption under the graph (default: none). */
  caption?: string;
}

/** Symbols of the book's round nodes (from the op registry); the layers are drawn as boxes with their names. */
const SYMBOLS: Partial<Record<GraphNode['type'], string>> = Object.fromEntries(
  Object.entries(OP_INFO).flatMap(([type, op]) => (op.symbol ? [[type, op.symbol]] : [])),
);

/**
 * The graph in Graphviz DOT, laid out left to right like the book's figures: inputs are plain
 * names, × and + are circles, layers are boxes; every edge carries the forward value above and
 * the gradient flowing back along it below. Nodes that feed nothing (the outputs) get an edge
 * to the right carrying their value and the seed gradient.
 */
export function toDot(graph: Graph, options: DotOptions = {}): string {
  checkGraph('toDot', graph);
  checkObject('toDot', 'options', options, '{ preview: 4 }');
  const valueColor = options.valueColor ?? 'black';
  const gradColor = options.gradColor ?? 'red';
  const used = new Set<GraphNode>();
  for (const n of graph.nodes) for (const i of n.inputs) used.add(i);
  const edgeLabel = (value: Value | undefined, grad: Value | null | undefined): string => {
    const lines = [`<font color="${valueColor}">${html(formatValue(value, options))}</font>`];
    if (grad !== undefined) lines.push(`<font color="${gradColor}">${html(formatValue(grad, options))}</font>`);
    return `<${lines.join('<br/>')}>`;
  };

  const out = [
    'digraph G {',
    '  rankdir=LR; nodesep=0.5; ranksep=0.9; bgcolor="white";',
    '  node [fontname="Helvetica", fontsize=14];',
    '  edge [fontname="Helvetica", fontsize=12, arrowsize=0.7];',
  ];
  if (options.caption) out.push(`  labelloc=b; fontname="Helvetica"; fontsize=11; label=${quote(options.caption)};`);
  for (const n of graph.nodes) {
    const attrs = [`label=${quote(SYMBOLS[n.type] ?? n.name)}`];
    const style = n === options.highlight ? ['filled'] : [];
    if (!n.op) attrs.push('shape=plaintext');
    else if (SYMBOLS[n.type]) {
      // one-character symbols (× +) large as in the book; exp, log and **2 smaller, to fit the circle
      const wide = SYMBOLS[n.type]!.length > 1;
      attrs.push('shape=circle', 'fixedsize=true', `width=${wide ? 0.6 : 0.5}`, `fontsize=${wide ? 14 : 18}`);
    } else {
      attrs.push('shape=box');
      style.push('rounded');
    }
    if (style.length) attrs.push(`style="${style.join(',')}"`);
    if (n === options.highlight) attrs.push('fillcolor="#ffe08a"', 'penwidth=2');
    // the local derivative of a one-number node, small and grey beside it
    const derivative = n.op ? OP_INFO[n.type as keyof typeof OP_INFO].derivative : undefined;
    if (derivative) attrs.push(`xlabel=<<font point-size="10" color="#555555">${html(derivative)}</font>>`);
    out.push(`  n${n.id} [${attrs.join(', ')}];`);
  }
  for (const n of graph.nodes) {
    n.inputs.forEach((from, i) => {
      const bold = n === options.highlight ? ', penwidth=2' : '';
      out.push(`  n${from.id} -> n${n.id} [label=${edgeLabel(from.value, n.inputGrad(i))}${bold}];`);
    });
  }
  for (const n of graph.nodes) {
    if (!n.op || used.has(n)) continue;
    out.push(`  n${n.id}_out [shape=point, style=invis];`);
    out.push(`  n${n.id} -> n${n.id}_out [label=${edgeLabel(n.value, n.grad)}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Throws unless `graph` is a Graph (this entry point imports the core's class, so `instanceof` holds). */
export function checkGraph(where: string, graph: unknown): void {
  if (!(graph instanceof Graph)) {
    throw new Error(`${where}: expected a Graph (from new Graph(), shoppingGraph() or graphFromNet()), got ${describeValue(graph)}`);
  }
}
