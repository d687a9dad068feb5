import { expect, it } from 'vitest';
import { AddLayer, MulLayer } from '../../ts/index.js';

// The book's shopping example (§5.4): 2 apples at 100, 3 oranges at 150, 10 % tax.
it('reproduces the apple-and-orange graph: price 715 and every gradient', () => {
  const apple = 100,
    appleNum = 2,
    orange = 150,
    orangeNum = 3,
    tax = 1.1;
  const mulAppleLayer = new MulLayer();
  const mulOrangeLayer = new MulLayer();
  const addAppleOrangeLayer = new AddLayer();
  const mulTaxLayer = new MulLayer();

  const applePrice = mulAppleLayer.forward(apple, appleNum);
  const orangePrice = mulOrangeLayer.forward(orange, orangeNum);
  const allPrice = addAppleOrangeLayer.forward(applePrice, orangePrice);
  const price = mulTaxLayer.forward(allPrice, tax);

  const dprice = 1;
  const [dallPrice, dtax] = mulTaxLayer.backward(dprice);
  const [dapplePrice, dorangePrice] = addAppleOrangeLayer.backward(dallPrice);
  const [dorange, dorangeNum] = mulOrangeLayer.backward(dorangePrice);
  const [dapple, dappleNum] = mulAppleLayer.backward(dapplePrice);

  expect(price).toBeCloseTo(715, 10);
  expect(dapple).toBeCloseTo(2.2, 10);
  expect(dappleNum).toBeCloseTo(110, 10);
  expect(dorange).toBeCloseTo(3.3, 10);
  expect(dorangeNum).toBeCloseTo(165, 10);
  expect(dtax).toBeCloseTo(650, 10);
});

it('the gradients mean what the notes say: one more apple adds 110 to the price', () => {
  const price = (apples: number) => new MulLayer().forward(new AddLayer().forward(new MulLayer().forward(100, apples), 450), 1.1);
  expect(price(3) - price(2)).toBeCloseTo(110, 10);
});

it('MulLayer and AddLayer reject what is not a number, and backward before forward', () => {
  expect(() => new MulLayer().forward(2, Number.NaN)).toThrow('MulLayer.forward: expected y to be a finite number, got NaN');
  expect(() => new AddLayer().forward('1' as unknown as number, 2)).toThrow('AddLayer.forward: expected x to be a finite number, got 1');
  expect(() => new MulLayer().backward(1)).toThrow('backward() was called before forward()');
});
