import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import type { Json } from './json.js';

/**
 * The package as a user installs it: `npm pack` of the built package, installed into a new empty
 * project `work/app` (no network: the tarball has no dependencies). Returns the app's folder.
 * `need` names the dist/ files the test uses, so a missing build fails with the reason.
 */
export function installPackedPackage(work: string, need: readonly string[]): string {
  for (const file of need) {
    if (!existsSync(join(ROOT, 'dist', file)))
      throw new Error(`dist/${file} is missing: run \`npm run build\` (npm test does it) before this test`);
  }
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: app });
  return app;
}

/** Runs an ES module in the installed app and parses the JSON it prints. */
export function runInApp(app: string, code: string, file = 'main.js'): Json {
  writeFileSync(join(app, file), code);
  return JSON.parse(execFileSync('node', [file], { cwd: app, encoding: 'utf8' }));
}
