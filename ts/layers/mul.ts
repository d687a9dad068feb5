import { checkNumbers } from '../core/checks.js';

/**
 * The multiplication node of the book (§5.4.1) on plain numbers: forward remembers x and y;
 * backward swaps them, dx = dout·y and dy = dout·x.
 */
export class MulLayer {
  x: number | null = null;
  y: number | null = null;

  forward(x: number, y: number): number {
    checkNumbers('MulLayer.forward', { x, y });
    this.x = x;
    this.y = y;
    return x * y;
  }

  backward(dout: number): [dx: number, dy: number] {
    checkNumbers('MulLayer.backward', { dout });
    if (this.x === null || this.y === null) throw new Error('MulLayer.backward: backward() was called before forward(); run forward first');
    return [dout * this.y, dout * this.x];
  }
}
