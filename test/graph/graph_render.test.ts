import { describe, expect, it } from 'vitest';
import { createBackend, graphFromNet, shoppingGraph, TwoLayerNet } from '../../ts/index.js';
import { explainStep, formatNumber, toDot, toSvg } from '../../ts/render/index.js';

function ranShopping() {
  const shop = shoppingGraph();
  shop.graph.forward();
  shop.graph.backward(shop.price);
  return shop;
}

/**
 * Throws unless `xml` is well-formed: one root element, every tag closed in order, attributes
 * quoted, and no bare `<` or `&` in text. Enough for Graphviz's SVG, with no XML parser to install.
 */
function checkWellFormed(xml: string): void {
  const body = xml
    .replace(/<\?xml[^?]*\?>/, '')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/g;
  const stack: string[] = [];
  let roots = 0,
    last = 0;
  const checkText = (text: string) => {
    if (/[<>]/.test(text.replace(/>/g, ''))) throw new Error(`bare '<' in text: ${text.slice(0, 60)}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bare '&' in text: ${text.slice(0, 60)}`);
  };
  for (const m of body.matchAll(tag)) {
    checkText(body.slice(last, m.index));
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  checkText(body.slice(last));
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
}

describe('rendering the shopping example', () => {
  it('DOT text: values above each edge in black, gradients below in red', () => {
    expect(toDot(ranShopping().graph)).toMatchInlineSnapshot(`
      "digraph G {
        rankdir=LR; nodesep=0.5; ranksep=0.9; bgcolor="white";
        node [fontname="Helvetica", fontsize=14];
        edge [fontname="Helvetica", fontsize=12, arrowsize=0.7];
        n0 [label="apple", shape=plaintext];
        n1 [label="apple num", shape=plaintext];
        n2 [label="orange", shape=plaintext];
        n3 [label="orange num", shape=plaintext];
        n4 [label="tax", shape=plaintext];
        n5 [label="×", shape=circle, fixedsize=true, width=0.5, fontsize=18];
        n6 [label="×", shape=circle, fixedsize=true, width=0.5, fontsize=18];
        n7 [label="+", shape=circle, fixedsize=true, width=0.5, fontsize=18];
        n8 [label="×", shape=circle, fixedsize=true, width=0.5, fontsize=18];
        n0 -> n5 [label=<<font color="black">100</font><br/><font color="red">2.2</font>>];
        n1 -> n5 [label=<<font color="black">2</font><br/><font color="red">110</font>>];
        n2 -> n6 [label=<<font color="black">150</font><br/><font color="red">3.3</font>>];
        n3 -> n6 [label=<<font color="black">3</font><br/><font color="red">165</font>>];
        n5 -> n7 [label=<<font color="black">200</font><br/><font color="red">1.1</font>>];
        n6 -> n7 [label=<<font color="black">450</font><br/><font color="red">1.1</font>>];
        n7 -> n8 [label=<<font color="black">650</font><br/><font color="red">1.1</font>>];
        n4 -> n8 [label=<<font color="black">1.1</font><br/><font color="red">650</font>>];
        n8_out [shape=point, style=invis];
        n8 -> n8_out [label=<<font color="black">715</font><br/><font color="red">1</font>>];
      }
      "
    `);
  });

  it('SVG: contains every value and gradient, and is well-formed XML', async () => {
    const svg = await toSvg(ranShopping().graph);
    expect(svg).toContain('<svg');
    checkWellFormed(svg);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // values: inputs, the three intermediate prices, the total; gradients on every edge
    for (const v of ['100', '2', '150', '3', '1.1', '200', '450', '650', '715']) expect(texts).toContain(v);
    for (const g of ['2.2', '110', '3.3', '165', '650', '1.1', '1']) expect(texts).toContain(g);
    expect(svg).toMatch(/fill="red"[^>]*>2\.2</);
    for (const name of ['apple', 'apple num', 'orange', 'orange num', 'tax']) expect(texts).toContain(name);
  });

  it('the well-formedness check itself rejects broken XML', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow('</svg> closes <g>');
    expect(() => checkWellFormed('<svg>a & b</svg>')).toThrow("bare '&'");
    expect(() => checkWellFormed('<svg/><svg/>')).toThrow('expected one root element, found 2');
  });

  it('before backward, edges show values only; before forward, nothing', () => {
    const { graph } = shoppingGraph();
    expect(toDot(graph)).not.toContain('color="red"');
    expect(toDot(graph)).toContain('n5 -> n7 [label=<<font color="black"></font>>]');
    graph.forward();
    expect(toDot(graph)).toContain('n5 -> n7 [label=<<font color="black">200</font>>]');
  });

  it('explains each local computation with its numbers, and highlights the node', () => {
    const { graph, price } = ranShopping();
    const [mulApple] = graph.nodes.filter((n) => n.type === 'mul');
    const add = price.inputs[0];
    expect(explainStep(mulApple, 'forward')).toBe('mul1: 100 × 2 = 200');
    expect(explainStep(mulApple, 'backward')).toBe('mul1: the inputs swap — ∂/∂apple = 1.1 × 2 = 2.2, ∂/∂apple num = 1.1 × 100 = 110');
    expect(explainStep(add, 'backward')).toBe('add1: 1.1 passes through unchanged to mul1 (1.1) and mul2 (1.1)');
    expect(toDot(graph, { highlight: add })).toContain(
      'n7 [label="+", shape=circle, fixedsize=true, width=0.5, fontsize=18, style="filled", fillcolor="#ffe08a", penwidth=2];',
    );
  });

  it('numbers print without float noise', () => {
    expect([715.0000000000001, 3.3000000000000003, 110.00000000000001, 0.1 + 0.2, 1e-7].map(formatNumber)).toEqual([
      '715',
      '3.3',
      '110',
      '0.3',
      '1e-7',
    ]);
  });
});

it('the two-layer network as a graph shows tensors by shape and norm, small ones by value', async () => {
  const backend = await createBackend('ts');
  const net = new TwoLayerNet(backend, 4, 3, 2, { weightInitStd: 1, seed: 3 });
  const { graph, loss } = graphFromNet(
    net,
    backend.tensor([
      [1, 0, -1, 2],
      [0.5, 0.5, 0, -1],
    ]),
    backend.tensor([0, 1], [2]),
  );
  graph.forward();
  graph.backward(loss);
  const dot = toDot(graph);
  expect(dot).toMatch(
    /n0 -> n\d+ \[label=<<font color="black">\[2, 4\] ‖·‖ [\d.]+<\/font><br\/><font color="red">\[2, 4\] ‖·‖ [\d.]+<\/font>>\]/,
  );
  expect(dot).toMatch(/label=<<font color="black">\[0, 0\]<\/font><br\/><font color="red">\[-?[\d.]+, -?[\d.]+\]<\/font>>/); // b2 and db2
  expect(dot).toContain('label="Affine1", shape=box');
  expect(dot).toMatch(/<font color="red">–<\/font>/); // no gradient for the targets
  checkWellFormed(await toSvg(graph));
});
