/**
 * The tensor's import path. `Tensor` and its `Storage` live in ts/core/backend.ts with the
 * `Backend` that owns them (each needs the other); the shape helpers live in ts/core/shape.ts.
 */
export { checkTensor, Tensor, type Params, type Storage } from './backend.js';
export { checkShape, formatShape, sameShape, shapeSize } from './shape.js';
