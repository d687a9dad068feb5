import type { Affine } from './affine.js';
import type { BatchNormalization } from './batch_normalization.js';
import type { Convolution } from './convolution.js';
import type { Dropout } from './dropout.js';
import type { Layer, LayerType } from './layer.js';
import type { Pooling } from './pooling.js';
import type { Relu } from './relu.js';
import type { Sigmoid } from './sigmoid.js';

/** Every layer class of the library: one per `LayerType`. */
export type AnyLayer = Affine | Convolution | Pooling | Relu | Sigmoid | BatchNormalization | Dropout;

/** The class of layer type K: what the entry for K of a per-type table receives. */
export type LayerOf<K extends LayerType> = Extract<AnyLayer, { readonly type: K }>;

/** The types without a class in `AnyLayer` (their table entries would receive `never`). */
type Classless = { [K in LayerType]: [LayerOf<K>] extends [never] ? K : never }[LayerType];
type MustBeTrue<T extends true> = T;
/** Fails `tsc` ("'false' does not satisfy the constraint 'true'") while a LayerType has no class above. */
export type EveryLayerTypeHasAClass = MustBeTrue<[Classless] extends [never] ? true : false>;

/**
 * The entry of `layer`'s type in a per-type table, or undefined for an object that is not one
 * of the library's layers (a layer written in plain JavaScript), which the caller then refuses
 * by name. The table's entries take their own class; `Entry` is the caller's view of any one.
 */
export function entryOf<Entry>(table: Readonly<Record<LayerType, Entry>>, layer: Layer): Entry | undefined {
  const type: unknown = (layer as { type?: unknown } | null)?.type;
  return typeof type === 'string' && Object.hasOwn(table, type) ? table[type as LayerType] : undefined;
}

/** The known types as a sentence, in table order: "Affine, Convolution, … and Dropout". */
export function typeList(table: Readonly<Record<LayerType, unknown>>): string {
  const types = Object.keys(table);
  return `${types.slice(0, -1).join(', ')} and ${types[types.length - 1]}`;
}
