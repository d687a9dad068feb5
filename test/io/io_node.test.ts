import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadModelFile, saveModelFile } from '../../ts/io/node.js';
import { makeBackend } from '../helpers/backends.js';
import { paramBits, trainedLookingMlp } from '../helpers/io_helpers.js';

// backprop-wasm/node: model files on disk, errors that name the file.
const dir = mkdtempSync(join(tmpdir(), 'backprop-io-node-'));

it('saveModelFile / loadModelFile round-trip a net through a file', async () => {
  const backend = await makeBackend('wasm-simd128');
  const net = trainedLookingMlp(backend, [5, 4, 3]);
  const path = join(dir, 'net.safetensors');
  const written = await saveModelFile(path, net);
  expect(written).toBeGreaterThan(4 * (5 * 4 + 4 + 4 * 3 + 3));
  expect(paramBits((await loadModelFile(backend, path)).net.params)).toEqual(paramBits(net.params));
});

it('errors name the file: a missing file, and a file that is not a model', async () => {
  const backend = await makeBackend('ts');
  await expect(loadModelFile(backend, join(dir, 'missing.safetensors'))).rejects.toThrow(
    /^loadModelFile: cannot read .*missing\.safetensors: ENOENT/,
  );
  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, 'not a model');
  await expect(loadModelFile(backend, junk)).rejects.toThrow(/junk\.safetensors: safetensors: the header length at byte 0 says \d+ bytes/);
});
