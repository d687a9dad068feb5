import { Graph } from './graph.js';
import type { GraphNode } from './node.js';

export interface ShoppingGraph {
  graph: Graph;
  apple: GraphNode;
  appleNum: GraphNode;
  orange: GraphNode;
  orangeNum: GraphNode;
  tax: GraphNode;
  price: GraphNode;
}

/** The names of the shopping example's inputs (another language's, for a page in it). */
export interface ShoppingNames {
  apple: string;
  appleNum: string;
  orange: string;
  orangeNum: string;
  tax: string;
  /** The output node's name (default mul3, the name every third multiply node gets). */
  price?: string;
}

const SHOPPING_NAMES: ShoppingNames = { apple: 'apple', appleNum: 'apple num', orange: 'orange', orangeNum: 'orange num', tax: 'tax' };

/**
 * The book's shopping example (§5.4) as a graph, recorded but not run: 2 apples at 100 and 3
 * oranges at 150, added, times a tax of 1.1. After `graph.forward()` and
 * `graph.backward(price)`: price 715; gradients apple 2.2, apple num 110, orange 3.3,
 * orange num 165, tax 650. `names` renames the inputs (default 'apple', 'apple num', …).
 */
export function shoppingGraph(names: Partial<ShoppingNames> = {}): ShoppingGraph {
  const n = { ...SHOPPING_NAMES, ...names };
  const graph = new Graph();
  const apple = graph.input(n.apple, 100);
  const appleNum = graph.input(n.appleNum, 2);
  const orange = graph.input(n.orange, 150);
  const orangeNum = graph.input(n.orangeNum, 3);
  const tax = graph.input(n.tax, 1.1);
  const applePrice = graph.mul(apple, appleNum);
  const orangePrice = graph.mul(orange, orangeNum);
  const total = graph.add(applePrice, orangePrice);
  const price = n.price ? graph.mul(total, tax, n.price) : graph.mul(total, tax);
  return { graph, apple, appleNum, orange, orangeNum, tax, price };
}
