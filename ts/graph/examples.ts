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

/**
 * The book's shopping example (§5.4) as a graph, recorded but not run: 2 apples at 100 and 3
 * oranges at 150, added, times a tax of 1.1. After `graph.forward()` and
 * `graph.backward(price)`: price 715; gradients apple 2.2, apple num 110, orange 3.3,
 * orange num 165, tax 650.
 */
export function shoppingGraph(): ShoppingGraph {
  const graph = new Graph();
  const apple = graph.input('apple', 100);
  const appleNum = graph.input('apple num', 2);
  const orange = graph.input('orange', 150);
  const orangeNum = graph.input('orange num', 3);
  const tax = graph.input('tax', 1.1);
  const applePrice = graph.mul(apple, appleNum);
  const orangePrice = graph.mul(orange, orangeNum);
  const price = graph.mul(graph.add(applePrice, orangePrice), tax);
  return { graph, apple, appleNum, orange, orangeNum, tax, price };
}
