// The kernel parity run inside a browser page (test/e2e/pages.e2e.test.ts builds it with esbuild,
// the library's import pointing at the built package's dist/index.js): window.parity is a
// promise of the reports, or of { error } when the run itself failed.
import * as lib from '../../ts/index.js';
import { kernelParity } from './kernel_parity.js';

(window as unknown as { parity: Promise<unknown> }).parity = kernelParity(lib).catch((e) => ({ error: String(e?.stack ?? e) }));
