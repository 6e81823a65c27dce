/**
 * Loads the extension bundle (dist/extension.js) in plain Node, the way the
 * VS Code extension host does on activation, and reports how long that took
 * and which modules it loaded. Run in a fresh process per measurement:
 *
 *   node bench/lib/activationProbe.cjs [path/to/extension.js]
 *
 * `vscode` is replaced by a stand-in (a recursive Proxy: every property is a
 * callable, constructible stand-in that remembers assigned properties;
 * `commands.registerCommand` calls are counted). Prints one JSON line: { requireMs, activateMs, totalMs,
 * registeredCommands, tfjsModules, loadedModules }, where `tfjsModules` lists
 * every loaded file whose path mentions @tensorflow or tfjs (checked right
 * after activate() and again after 200 ms, to catch lazy loads).
 */
'use strict';
const Module = require('module');
const path = require('path');

const bundle = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', 'dist', 'extension.js'));
let registeredCommands = 0;

/** A stand-in for any vscode API value: callable, constructible, with stand-in properties. */
function fake(name) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'registerCommand') {
        return () => {
          registeredCommands++;
          return { dispose() {} };
        };
      }
      if (typeof prop === 'symbol') return undefined;
      if (!cache.has(prop)) cache.set(prop, fake(`${name}.${prop}`));
      return cache.get(prop);
    },
    set(_t, prop, value) {
      cache.set(prop, value);
      return true;
    },
    apply() {
      return fake(`${name}()`);
    },
    construct() {
      return fake(`new ${name}`);
    },
  });
}

/**
 * The `vscode` module: an object whose own keys are the API's top-level names
 * (read from @types/vscode, so that esbuild's ESM interop copies them), each a stand-in.
 */
function vscodeModule() {
  let names = ['commands', 'window', 'workspace', 'Uri', 'EventEmitter', 'TreeItem', 'Disposable'];
  try {
    const dts = require('fs').readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
    names = [...new Set([...names, ...[...dts.matchAll(/^\texport (?:declare )?(?:class|enum|namespace|const|function|let) (\w+)/gm)].map((m) => m[1])])];
  } catch {
    // @types/vscode absent: the short list above
  }
  const mod = {};
  for (const n of names) mod[n] = fake(`vscode.${n}`);
  return mod;
}

const vscodeStub = vscodeModule();
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return 'vscode';
  return originalResolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeStub };

function memento() {
  const m = new Map();
  return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: async (k, v) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} };
}

const tfjsLoaded = () => Object.keys(require.cache).filter((f) => /@tensorflow|tfjs/i.test(f));

const t0 = process.hrtime.bigint();
const ext = require(bundle);
const t1 = process.hrtime.bigint();
const context = {
  subscriptions: [],
  extensionUri: fake('extensionUri'),
  extensionPath: path.dirname(path.dirname(bundle)),
  globalState: memento(),
  workspaceState: memento(),
  secrets: fake('secrets'),
  environmentVariableCollection: fake('environmentVariableCollection'),
  storageUri: undefined,
  globalStorageUri: fake('globalStorageUri'),
  logUri: fake('logUri'),
  extensionMode: 1,
  asAbsolutePath: (p) => path.join(path.dirname(path.dirname(bundle)), p),
};
let error;
try {
  const r = ext.activate(context);
  if (r && typeof r.then === 'function') r.catch((e) => (error = String(e && e.message ? e.message : e)));
} catch (e) {
  error = String(e && e.message ? e.message : e);
}
const t2 = process.hrtime.bigint();
const right = tfjsLoaded();
setTimeout(() => {
  const later = tfjsLoaded();
  const ms = (a, b) => Number(b - a) / 1e6;
  process.stdout.write(
    JSON.stringify({
      requireMs: ms(t0, t1),
      activateMs: ms(t1, t2),
      totalMs: ms(t0, t2),
      registeredCommands,
      subscriptions: context.subscriptions.length,
      tfjsModules: [...new Set([...right, ...later])],
      loadedModules: Object.keys(require.cache).length,
      error,
    }) + '\n',
  );
  process.exit(0);
}, 200);
