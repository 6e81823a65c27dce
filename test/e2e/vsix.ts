/**
 * The packaged extension for the e2e tests and `npm run demo`: `$SEQ2SEQ_E2E_VSIX`, else
 * `dist-vsix/<name>-<version>.vsix` when it is newer than every source file, else a fresh
 * `npm run package` (scripts/package.mjs).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './harness';

/** Newest mtime (ms) of the files under `dir` (recursively; 0 when missing). */
export function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Absolute path of an up-to-date `.vsix` of this repository (packaging it when needed).
 * @throws Error with the packaging output when `npm run package` fails.
 */
export function packagedVsix(): string {
  if (process.env.SEQ2SEQ_E2E_VSIX) return path.resolve(process.env.SEQ2SEQ_E2E_VSIX);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = path.join(REPO_ROOT, 'dist-vsix', `${pkg.name}-${pkg.version}.vsix`);
  const sources = Math.max(
    ...['src', 'webview', 'schemas', 'media', 'l10n'].map((d) => newestMtime(path.join(REPO_ROOT, d))),
    ...['package.json', 'package.nls.json', 'package.nls.zh-cn.json'].map((f) => fs.statSync(path.join(REPO_ROOT, f)).mtimeMs),
  );
  if (!fs.existsSync(vsix) || fs.statSync(vsix).mtimeMs < sources) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
  }
  return vsix;
}
