import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { COMPRESSIBLE } from '../demo/serve.js';

/** Above this size the strongest settings cost seconds per build for a few percent (mnist.bin: br 11 is 47 s). */
const LARGE = 1 << 20;

/**
 * Writes `name.br` and `name.gz` next to every compressible file in `dir` (not recursive), which
 * demo/serve.ts sends to browsers that accept them. Returns the bytes before and after (brotli).
 */
export function precompress(dir: string): { raw: number; br: number } {
  const total = { raw: 0, br: 0 };
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!COMPRESSIBLE.has(extname(name)) || !statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    const large = bytes.length > LARGE;
    const br = brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: large ? 5 : 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: large ? 6 : 9 }));
    total.raw += bytes.length;
    total.br += br.length;
  }
  return total;
}
