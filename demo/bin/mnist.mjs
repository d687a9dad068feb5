#!/usr/bin/env node
// The `backprop-wasm-mnist` bin (package.json): runs demo/mnist.ts through tsx's loader, so a
// clone (npm link, npx) gets the same CLI as `npm run mnist`. It needs the dev dependencies and
// build/data/mnist.bin from scripts/ensure.sh.
import { register } from 'tsx/esm/api';

register();
await import('../mnist.ts');
