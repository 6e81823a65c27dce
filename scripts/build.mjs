#!/usr/bin/env node
/**
 * Build script (esbuild). Bundles, each separately:
 *   src/host/extension.ts       -> dist/extension.js        (node, cjs, external vscode)
 *   src/core/config/configLoader.ts    -> dist/configLoader.js     (node, cjs; required lazily by the extension)
 *   src/worker/trainingWorker.ts -> dist/worker.js          (node, cjs; worker_threads entry)
 *   src/worker/inferenceWorker.ts -> dist/inference.js     (node, cjs; worker_threads entry, keeps the active model loaded)
 *   src/cli/main.ts             -> dist/cli.js              (node, cjs)
 *   src/cli/svgRender.ts        -> dist/svgRender.js        (node, cjs; vega + vega-lite, loaded by the CLI only to draw a chart)
 *   src/cli/slurmTask.ts        -> dist/slurmTask.js        (node, cjs; what a Slurm task runs, for the CLI and the extension)
 *   webview/training/main.ts    -> dist/webview/training.js (+ training.css; browser, iife)
 *   webview/attention/main.ts   -> dist/webview/attention.js (+ attention.css; browser, iife)
 *   webview/compare/main.ts     -> dist/webview/compare.js  (+ compare.css; browser, iife)
 * and copies the tfjs wasm binaries next to the node bundles (dist/*.wasm).
 *
 * Flags: --watch (rebuild on change), --production (minify, no source maps).
 * An entry whose source file does not exist yet is skipped with a warning;
 * once every entry exists, any build error makes the script exit non-zero.
 */
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');

/** Node-side bundles never contain these: VS Code provides `vscode`, tfjs-node is an optional native peer. */
const nodeExternal = ['vscode', '@tensorflow/tfjs-node'];

/**
 * dist/cli.js loads `./svgRender` (vega, ~2 MB) only when asked for a chart: keep it a separate bundle.
 * @type {import('esbuild').Plugin}
 */
const svgRenderExternal = {
  name: 'svgRender-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/svgRender$/ }, () => ({ path: './svgRender.js', external: true }));
  },
};

/**
 * vega-canvas's Node build tries `await import('canvas')` at top level, which a cjs bundle cannot hold;
 * its browser build (no canvas: vega estimates text widths) is what runs without the optional `canvas` package anyway.
 * @type {import('esbuild').Plugin}
 */
const vegaCanvasWithoutCanvas = {
  name: 'vega-canvas-without-canvas',
  setup(build) {
    build.onResolve({ filter: /^vega-canvas$/ }, () => ({ path: join(root, 'node_modules', 'vega-canvas', 'build', 'vega-canvas.browser.js') }));
  },
};

/** @type {{name: string, options: import('esbuild').BuildOptions}[]} */
const entries = [
  {
    name: 'extension',
    options: { entryPoints: ['src/host/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    // Loaded by the extension on first use (keeps ajv out of dist/extension.js, so activation stays fast).
    name: 'configLoader',
    options: { entryPoints: ['src/core/config/configLoader.ts'], outfile: 'dist/configLoader.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    name: 'worker',
    options: { entryPoints: ['src/worker/trainingWorker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    name: 'inference',
    options: { entryPoints: ['src/worker/inferenceWorker.ts'], outfile: 'dist/inference.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    name: 'replica',
    options: { entryPoints: ['src/worker/replicaWorker.ts'], outfile: 'dist/replica.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    name: 'cli',
    options: { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', external: nodeExternal, plugins: [svgRenderExternal] },
  },
  {
    // What a Slurm task runs (`exec node dist/slurmTask.js <job folder>`); shipped in the extension too.
    name: 'slurmTask',
    options: { entryPoints: ['src/cli/slurmTask.ts'], outfile: 'dist/slurmTask.js', platform: 'node', format: 'cjs', external: nodeExternal },
  },
  {
    name: 'svgRender',
    options: { entryPoints: ['src/cli/svgRender.ts'], outfile: 'dist/svgRender.js', platform: 'node', format: 'cjs', external: nodeExternal, plugins: [vegaCanvasWithoutCanvas] },
  },
  {
    name: 'webview',
    // CSS imported by main.ts (its own stylesheet and uPlot's) is emitted as dist/webview/training.css.
    options: { entryPoints: ['webview/training/main.ts'], outfile: 'dist/webview/training.js', platform: 'browser', format: 'iife', target: 'es2022' },
  },
  {
    name: 'attentionView',
    // attention.css imported by main.ts is emitted as dist/webview/attention.css.
    options: { entryPoints: ['webview/attention/main.ts'], outfile: 'dist/webview/attention.js', platform: 'browser', format: 'iife', target: 'es2022' },
  },
  {
    name: 'compareView',
    // compare.css and uPlot's stylesheet imported by main.ts are emitted as dist/webview/compare.css.
    options: { entryPoints: ['webview/compare/main.ts'], outfile: 'dist/webview/compare.js', platform: 'browser', format: 'iife', target: 'es2022' },
  },
];

const common = /** @type {import('esbuild').BuildOptions} */ ({
  absWorkingDir: root,
  bundle: true,
  // jsonc-parser's UMD "main" build requires files dynamically; its ESM "module" build bundles cleanly.
  mainFields: ['module', 'main'],
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
});

function copyWasm() {
  const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  if (!existsSync(wasmDir)) {
    console.warn(`[build] warning: ${relative(root, wasmDir)} not found; the wasm backend will not be available`);
    return;
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const f of readdirSync(wasmDir)) {
    if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(root, 'dist', f));
  }
}

const present = [];
const missing = [];
for (const e of entries) {
  const src = /** @type {string[]} */ (e.options.entryPoints)[0];
  (existsSync(join(root, src)) ? present : missing).push(e);
}
for (const e of missing) {
  console.warn(`[build] warning: skipping ${e.name}: ${e.options.entryPoints[0]} does not exist yet`);
}

copyWasm();

if (watch) {
  for (const e of present) {
    const ctx = await esbuild.context({ ...common, ...e.options });
    await ctx.watch();
  }
  console.log(`[build] watching ${present.map((e) => e.name).join(', ')} (Ctrl+C to stop)`);
} else {
  const results = await Promise.allSettled(present.map((e) => esbuild.build({ ...common, ...e.options })));
  const failed = present.filter((_, i) => results[i].status === 'rejected');
  if (failed.length > 0) {
    const names = failed.map((e) => e.name).join(', ');
    if (missing.length === 0) {
      console.error(`[build] failed: ${names}`);
      process.exit(1);
    }
    // While other entries are still being written the project is incomplete; report loudly but do not
    // break `npm install` (prepare) for everyone.
    console.warn(`[build] warning: ${names} failed to build (ignored while ${missing.map((e) => e.name).join(', ')} missing)`);
  }
}
