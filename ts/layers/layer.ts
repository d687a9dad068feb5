import type { Backend } from '../core/backend.js';
import { formatShape, sameShape, type Tensor } from '../core/tensor.js';

/**
 * The layer types of the library, one per layer class (`layer.type`). Every subsystem that treats
 * layers one type at a time (float64 forward, ONNX export, model files, graphs) keys a table by
 * it, typed `{ [K in LayerType]: … }`, so a type added here and forgotten in a table fails `tsc`
 * (see docs/adding-a-layer.md). ts/layers/kinds.ts maps each type to its class.
 */
export type LayerType = 'Affine' | 'Convolution' | 'Pooling' | 'Relu' | 'Sigmoid' | 'BatchNormalization' | 'Dropout';

/**
 * A layer's learned tensors, or their gradients, by the book's names without the number:
 * `{ W, b }`, `{ gamma, beta }`, or `{}`. A network numbers them (W1, b1, gamma1, …).
 */
export type LayerParams<T = Tensor> = Readonly<Record<string, T>>;

/**
 * A node of the network in the book's sense: `forward` does the local computation and keeps what
 * `backward` needs; `backward` turns the upstream gradient into the gradient of its input.
 *
 * Outputs are owned by the layer and reused: the tensor `forward` returns is overwritten by the
 * next `forward` (copy it with `toArray()` to keep it). That is what lets a training step run
 * without allocating.
 */
export interface Layer {
  /** Which of the library's layer types this is: the key of every per-type table. */
  readonly type: LayerType;
  /** `train` matters only to layers that behave differently in training (Dropout, BatchNormalization). */
  forward(x: Tensor, train?: boolean): Tensor;
  backward(dout: Tensor): Tensor;
  /** What the layer learns (`{ W, b }` for Affine, `{}` for Relu); the tensors themselves, not copies. */
  params(): LayerParams;
  /** The gradients of `params()` under the same names, from the last backward (null before one). */
  grads(): LayerParams<Tensor | null>;
  /**
   * The parameter gradients without dx, in layers with weights (Affine, Convolution): for the
   * first layer of a network, whose input gradient nothing uses.
   */
  backwardParams?(dout: Tensor): void;
  /**
   * For the first layer of a network: how many of the layers after it (`layers[1..]`, in order)
   * its `backwardParamsThrough` takes over, 0 if none. Convolution takes a Relu and a Pooling
   * after it (their backward and its own in one pass that touches only the positions the pooling
   * chose: crate/src/conv_pool.rs).
   */
  fusedBackwardDepth?(layers: readonly Layer[]): number;
  /** The parameter gradients without dx from the gradient of the last layer it takes over (see `fusedBackwardDepth`). */
  backwardParamsThrough?(layers: readonly Layer[], dout: Tensor): void;
  /** Frees the layer's own buffers (not tensors it was given, such as Affine's W and b). */
  dispose(): void;
}

/**
 * Returns `current` if it already has this shape on this backend, otherwise disposes it and
 * allocates a new zero tensor. Layers keep their outputs in such buffers, so they allocate once
 * per batch size.
 */
export function reuseBuffer(current: Tensor | null, backend: Backend, shape: readonly number[]): Tensor {
  if (current && !current.disposed && current.backend === backend && sameShape(current.shape, shape)) return current;
  current?.dispose();
  return backend.zeros(shape);
}

/** Throws unless `forward` ran before `backward` (the value is what forward cached). */
export function requireForward<T>(where: string, cached: T | null): T {
  if (cached === null) throw new Error(`${where}: backward() was called before forward(); run forward first`);
  return cached;
}

/** Throws unless the upstream gradient has the shape of the forward output. */
export function checkDout(where: string, dout: Tensor, out: Tensor): void {
  if (!sameShape(dout.shape, out.shape)) {
    throw new Error(`${where}: expected dout of shape ${formatShape(out.shape)} (the forward output), got ${formatShape(dout.shape)}`);
  }
}
