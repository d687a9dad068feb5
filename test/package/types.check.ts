// Compiled by `tsc` in `npm test`, never run: the calls marked @ts-expect-error must not
// type-check, so the public types really catch these mistakes.
import { AddLayer, Affine, createBackend, MulLayer, SGD, Tensor, TwoLayerNet } from '../../ts/index.js';

export async function typeErrors(t: Tensor): Promise<void> {
  // @ts-expect-error the backend kind is 'ts' or 'wasm'
  await createBackend('gpu');
  // @ts-expect-error the variant is 'auto', 'simd128' or 'scalar'
  await createBackend('wasm', { variant: 'avx' });
  // @ts-expect-error MulLayer works on numbers, not tensors
  new MulLayer().forward(t, 2);
  // @ts-expect-error AddLayer.backward returns a pair, not a number
  const d: number = new AddLayer().backward(1);
  // @ts-expect-error Affine takes W and b
  new Affine(t);
  // @ts-expect-error SGD takes an options object
  new SGD(0.1);
  const backend = await createBackend('ts');
  // @ts-expect-error the sizes are numbers
  new TwoLayerNet(backend, '784', 50, 10);
  // @ts-expect-error shape is read-only
  t.shape.push(1);
  // @ts-expect-error tensors come from backend.tensor / zeros / reshape: the constructor is private
  new Tensor(backend, [1], t as never, true, Symbol());
  void d;
}
