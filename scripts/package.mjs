#!/usr/bin/env node
/**
 * Package the extension as a .vsix:
 *   1. `node scripts/build.mjs --production` (minified bundles in dist/, tfjs .wasm copied next to them);
 *   2. `vsce package --no-dependencies` (everything the extension runs is bundled by esbuild,
 *      so no node_modules are shipped; .vscodeignore decides the rest);
 *   3. checks the archive: every runtime file present (bundles, webview, all tfjs .wasm binaries,
 *      schema, icon), nothing that must not ship (sources, tests, source maps, node_modules, data).
 *
 * Output: dist-vsix/<name>-<version>.vsix (gitignored). Prints the size and the file list.
 *
 * Flags: --out <file.vsix>  write elsewhere;  --skip-build  package the current dist/ as is.
 * Exit code 1 (with the reason) when the build, vsce or the content check fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const skipBuild = argv.includes('--skip-build');
const outIdx = argv.indexOf('--out');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(outIdx >= 0 && argv[outIdx + 1] ? argv[outIdx + 1] : join(root, 'dist-vsix', `${pkg.name}-${pkg.version}.vsix`));

/** Files the installed extension needs at runtime besides dist/ (paths inside the vsix, under extension/). */
const REQUIRED = ['package.json', 'package.nls.json', 'package.nls.zh-cn.json', 'l10n/bundle.l10n.zh-cn.json', 'schemas/config.schema.json', 'media/seq2seq.svg', 'media/icon.png', 'CHANGELOG.md'];
/** dist/ files that are not needed by the extension (the CLI and its chart renderer are for the npm package). */
const DIST_NOT_SHIPPED = [/\.map$/, /^dist\/cli\.js$/, /^dist\/svgRender\.js$/];
/** Everything in the vsix must be under one of these (anything else is a stray file: fix .vscodeignore). */
const ALLOWED = /^(dist\/|media\/|schemas\/|l10n\/bundle\.l10n\.[\w-]+\.json$|package\.json$|package\.nls(\.[\w-]+)?\.json$|LICENSE\.txt$|README\.md$|CHANGELOG\.md$)/i;
/** Patterns that must never be in the vsix. */
const FORBIDDEN = [
  [/(^|\/)node_modules\//, 'node_modules (everything is bundled)'],
  [/\.map$/, 'source maps'],
  [/\.ts$/, 'TypeScript sources'],
  [/\.tsv$/, 'data sets'],
  [/\.vsix$/, 'other packages'],
];

/** Every file under dir (recursively), as repo-relative posix paths. */
function walk(dir) {
  const out = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(rel));
    else out.push(rel);
  }
  return out;
}

function fail(msg) {
  console.error(`[package] ${msg}`);
  process.exit(1);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) fail(`${what} could not start: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status})`);
}

if (!skipBuild) run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production'], 'production build');

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
if (!existsSync(vsce)) fail('@vscode/vsce is not installed: run npm install');
mkdirSync(dirname(out), { recursive: true }); // vsce does not create the folder
const vsceArgs = [vsce, 'package', '--no-dependencies', '-o', out];
if (!pkg.repository) {
  // No public repository to point README images at: keep links relative (VS Code resolves them
  // against the installed extension folder, which contains media/) and do not prompt about it.
  vsceArgs.push('--allow-missing-repository', '--no-rewrite-relative-links');
}
if (!existsSync(join(root, 'LICENSE')) && !existsSync(join(root, 'LICENSE.md'))) vsceArgs.push('--skip-license');
run(process.execPath, vsceArgs, 'vsce package');
if (!existsSync(out)) fail(`vsce reported success but ${out} does not exist`);

// ------------------------------------------------------------------ content check
const list = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
let files;
if (list.status === 0) {
  files = list.stdout.split('\n').filter((l) => l.startsWith('extension/') && !l.endsWith('/')).map((l) => l.slice('extension/'.length));
} else {
  // No unzip on PATH: ask vsce for the list it packs (same .vscodeignore rules).
  const ls = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  if (ls.status !== 0) fail(`cannot list the vsix contents: ${ls.stderr}`);
  files = ls.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}
// vsce writes README.md and CHANGELOG.md as readme.md and changelog.md: compare names case-insensitively.
const have = new Set(files.map((f) => f.toLowerCase()));
// Every bundle, webview asset and tfjs .wasm binary the build produced (the worker loads the .wasm
// files from its own folder, see wasmBinaryDir() in src/core/kernels/backend.ts).
const built = walk('dist').filter((f) => !DIST_NOT_SHIPPED.some((re) => re.test(f)));
if (!built.some((f) => f.endsWith('.wasm'))) fail('dist/ has no tfjs .wasm binaries: the build did not copy them');
const missing = [...REQUIRED, ...built].filter((f) => !have.has(f.toLowerCase()));
const bad = [];
for (const f of files) {
  if (!ALLOWED.test(f)) bad.push(`${f} (not part of the extension)`);
  for (const [re, why] of FORBIDDEN) if (re.test(f)) bad.push(`${f} (${why})`);
}

const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`\n[package] ${relative(root, out)}: ${kb(statSync(out).size)}, ${files.length} files`);
for (const f of files.sort()) {
  const p = join(root, f);
  console.log(`  ${f}${existsSync(p) ? `  (${kb(statSync(p).size)})` : ''}`);
}
if (missing.length) fail(`missing from the vsix: ${missing.join(', ')}`);
if (bad.length) fail(`must not be in the vsix (check .vscodeignore): ${bad.join(', ')}`);
