/// <reference types="node" />
/**
 * backprop-wasm/node: model files on disk, for Node (the core, which also runs in browsers and
 * workers, imports no Node module). The bytes are those of `saveModel` / `loadModel`.
 *
 * @module backprop-wasm/node
 */
import { readFile, writeFile } from 'node:fs/promises';
// The core, as the package's main entry (the build keeps this import), so the nets and backends
// made here are the classes the user's code has.
import { loadModel, saveModel, type Backend, type LoadedModel, type SaveModelOptions, type Sequential } from '../index.js';

/** Writes `saveModel(net, options)` to `path`; returns the number of bytes written. */
export async function saveModelFile(path: string, net: Sequential, options: SaveModelOptions = {}): Promise<number> {
  const bytes = saveModel(net, options);
  await writeFile(path, bytes);
  return bytes.length;
}

/** `loadModel` of the file at `path`; errors name the file. */
export async function loadModelFile(backend: Backend, path: string): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`loadModelFile: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return loadModel(backend, bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
