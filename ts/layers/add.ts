import { checkNumbers } from '../core/checks.js';

/** The addition node of the book (§5.4.2) on plain numbers: backward passes dout to both inputs. */
export class AddLayer {
  forward(x: number, y: number): number {
    checkNumbers('AddLayer.forward', { x, y });
    return x + y;
  }

  backward(dout: number): [dx: number, dy: number] {
    checkNumbers('AddLayer.backward', { dout });
    return [dout * 1, dout * 1];
  }
}
