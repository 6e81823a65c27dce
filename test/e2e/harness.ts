/**
 * End-to-end harness: a real VS Code (code-server, VS Code for the browser) driven by
 * Chromium through playwright-core.
 *
 * Prerequisite: `bash scripts/e2e/setup.sh` (cached install of code-server + chromium).
 *
 * Typical use (mocha):
 *
 *   const server = await startCodeServer({ workspace, vsix: 'seq2seq-lab.vsix' });
 *   const { browser, page } = await launchBrowser();
 *   await openWorkbench(page, server.url);
 *   await runCommand(page, 'Seq2Seq: Train');
 *   await waitForNotification(page, /Training started/);
 *   const frame = await webviewFrame(page, 'Seq2Seq Lab');
 *   await screenshot(page, 'training');
 *   await browser.close(); await server.stop();
 *
 * Every wait is bounded; on timeout the error says what was awaited and what was
 * visible instead. Spawned code-server process groups are killed on stop() and, as a
 * last resort, when the Node process exits.
 */
import { createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';

/** code-server version installed by scripts/e2e/setup.sh. */
export const CODE_SERVER_VERSION = process.env.SEQ2SEQ_E2E_CODE_SERVER_VERSION ?? '4.100.3';

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Default directory for screenshots taken during e2e runs (gitignored `.e2e/`). */
export const DEFAULT_SCREENSHOT_DIR = path.join(REPO_ROOT, '.e2e', 'screenshots');

/**
 * User settings written before code-server starts: no welcome page, walkthroughs,
 * telemetry, workspace trust prompt, update checks or recommendation toasts, so
 * screenshots show only what the test does.
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'window.dialogStyle': 'custom',
};

/** Options for {@link packageVsix}. */
export interface PackageVsixOptions {
  /** Extension folder containing package.json. */
  cwd: string;
  /** Output `.vsix` path; default `<cwd>/<name>-<version>.vsix` (vsce's default). */
  out?: string;
  /**
   * Let vsce run `npm list --production` and include node_modules (default false:
   * `--no-dependencies`, right for an esbuild-bundled extension).
   */
  dependencies?: boolean;
  /** Default 180 000 ms. */
  timeoutMs?: number;
}

/**
 * Package an extension folder with the repo's `@vscode/vsce`, non-interactively:
 * `--allow-missing-repository --skip-license` stop vsce from prompting (or failing
 * when stdin is not a TTY) about a missing `repository` field or LICENSE file.
 * Returns the absolute `.vsix` path. @throws Error with vsce's output on failure.
 */
export function packageVsix(opts: PackageVsixOptions): string {
  const cwd = path.resolve(opts.cwd);
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!fs.existsSync(vsce)) throw new Error(`@vscode/vsce not installed (expected ${vsce}); run npm install`);
  const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8')) as { name: string; version: string };
  const out = path.resolve(opts.out ?? path.join(cwd, `${pkg.name}-${pkg.version}.vsix`));
  fs.mkdirSync(path.dirname(out), { recursive: true }); // vsce does not create it
  const args = [vsce, 'package', '--allow-missing-repository', '--skip-license', '-o', out];
  if (!opts.dependencies) args.push('--no-dependencies');
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: opts.timeoutMs ?? 180_000, input: '' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error || r.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`vsce package failed in ${cwd} (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${output}`);
  }
  return out;
}

/** Options for {@link startCodeServer}. */
export interface CodeServerOptions {
  /** Folder to open as the workspace (must exist). */
  workspace: string;
  /** `.vsix` file(s) to install (with `--install-extension`) before starting. */
  vsix?: string | string[];
  /** Port on 127.0.0.1; default: a free port picked by the OS. */
  port?: number;
  /** User settings merged over {@link DEFAULT_SETTINGS}. */
  settings?: Record<string, unknown>;
  /** code-server install dir; default: `$SEQ2SEQ_E2E_CODE_SERVER_DIR` or the setup.sh cache. */
  codeServerDir?: string;
  /** Reuse these dirs instead of fresh temp dirs (then they are not deleted on stop()). */
  userDataDir?: string;
  extensionsDir?: string;
  /** Max time (ms) until the HTTP server answers; default 60 000. */
  startTimeoutMs?: number;
  /** Max time (ms) per `--install-extension` run; default 120 000. */
  installTimeoutMs?: number;
  /** Extra environment for the code-server process (e.g. SEQ2SEQ_* variables for the extension host). */
  env?: Record<string, string>;
  /** Display language (`--locale`, e.g. `zh-cn`): extensions get it as `vscode.env.language`. Default: English. */
  locale?: string;
  /** Keep Workspace Trust on (the suites turn it off with `--disable-workspace-trust`, as if every folder were trusted). */
  workspaceTrust?: boolean;
  /** Keep temp dirs after stop() (for debugging). Default: false, or `SEQ2SEQ_E2E_KEEP=1`. */
  keepDirs?: boolean;
}

/**
 * Write `<userDataDir>/languagepacks.json` from the installed extensions that
 * contribute `localizations`, as VS Code's language pack cache does when a
 * running server installs one (code-server's `--install-extension` does not),
 * so that `--locale` finds the pack at start.
 * @returns the locales written
 */
export function writeLanguagePacks(userDataDir: string, extensionsDir: string): string[] {
  const packs: Record<string, { hash: string; extensions: { extensionIdentifier: { id: string }; version: string }[]; translations: Record<string, string>; label: string }> = {};
  for (const dir of fs.readdirSync(extensionsDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const manifestFile = path.join(extensionsDir, dir.name, 'package.json');
    if (!fs.existsSync(manifestFile)) continue;
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
      name: string; publisher: string; version: string;
      contributes?: { localizations?: { languageId: string; languageName?: string; localizedLanguageName?: string; translations: { id: string; path: string }[] }[] };
    };
    for (const loc of m.contributes?.localizations ?? []) {
      const id = `${m.publisher}.${m.name}`;
      const pack = (packs[loc.languageId.toLowerCase()] ??= { hash: '', extensions: [], translations: {}, label: loc.localizedLanguageName ?? loc.languageName ?? loc.languageId });
      pack.extensions.push({ extensionIdentifier: { id }, version: m.version });
      for (const t of loc.translations) pack.translations[t.id] = path.join(extensionsDir, dir.name, t.path);
      pack.hash = createHash('md5').update(pack.extensions.map((e) => e.extensionIdentifier.id + e.version).join('')).digest('hex');
    }
  }
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
  return Object.keys(packs);
}

/** A running code-server; see {@link startCodeServer}. */
export interface CodeServer {
  /** Workbench URL with the workspace folder, e.g. `http://127.0.0.1:PORT/?folder=/tmp/ws`. */
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  /** Last lines of code-server's stdout/stderr (for failure messages). */
  log(): string;
  /**
   * Wait until a line of code-server's output matches `re` (e.g. the extension host
   * launch, see {@link EXTENSION_HOST_LAUNCHED}). @throws Error after `timeoutMs`.
   */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Kill the process group (SIGTERM, then SIGKILL after 5 s) and delete temp dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Process groups still alive; killed synchronously if Node exits without stop(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/**
 * Locate the code-server install made by scripts/e2e/setup.sh.
 * @throws Error telling the user to run the setup script when it is missing.
 */
export function findCodeServerDir(explicit?: string): string {
  const cache = process.env.SEQ2SEQ_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'seq2seq-lab-e2e');
  const dir = explicit ?? process.env.SEQ2SEQ_E2E_CODE_SERVER_DIR ?? path.join(cache, `code-server-${CODE_SERVER_VERSION}`);
  if (!fs.existsSync(path.join(dir, 'out', 'node', 'entry.js')) || !fs.existsSync(path.join(dir, '.seq2seq-e2e-ready'))) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${dir}. Run: bash scripts/e2e/setup.sh`);
  }
  return dir;
}

/** Ask the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Install one `.vsix` into the given dirs with code-server's `--install-extension`.
 * @throws Error with the tool output if the install fails or exceeds `timeoutMs`.
 */
export function installVsix(codeServerDir: string, vsix: string, userDataDir: string, extensionsDir: string, timeoutMs = 120_000): void {
  const abs = path.resolve(vsix);
  if (!fs.existsSync(abs)) throw new Error(`vsix not found: ${abs}`);
  const r = spawnSync(
    process.execPath,
    [path.join(codeServerDir, 'out', 'node', 'entry.js'), '--config', configFile(userDataDir), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', abs, '--force'],
    { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) throw new Error(`installing ${abs} failed: ${r.error.message}\n${out}`);
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${abs} failed (exit ${r.status}):\n${out}`);
  }
}

function configFile(userDataDir: string): string {
  // An empty config file stops code-server from writing ~/.config/code-server/config.yaml.
  const f = path.join(userDataDir, 'code-server-config.yaml');
  if (!fs.existsSync(f)) fs.writeFileSync(f, '');
  return f;
}

/**
 * Start code-server on 127.0.0.1 with fresh (or given) user-data and extensions dirs,
 * after installing `vsix` and writing user settings. Resolves once `/healthz` answers.
 * The process runs in its own process group; stop() kills the whole group.
 *
 * @throws Error (including the server's last log lines) when the workspace is missing,
 *   an install fails, the process exits early, or it is not ready within `startTimeoutMs`.
 */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const codeServerDir = findCodeServerDir(opts.codeServerDir);
  const workspace = path.resolve(opts.workspace);
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`workspace folder does not exist: ${workspace}`);
  }
  const keep = opts.keepDirs ?? process.env.SEQ2SEQ_E2E_KEEP === '1';
  const ownedDirs: string[] = [];
  const mk = (given: string | undefined, prefix: string) => {
    if (given) {
      fs.mkdirSync(given, { recursive: true });
      return path.resolve(given);
    }
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    ownedDirs.push(d);
    return d;
  };
  const userDataDir = mk(opts.userDataDir, 's2s-e2e-user-');
  const extensionsDir = mk(opts.extensionsDir, 's2s-e2e-ext-');
  const removeDirs = () => {
    if (keep) return;
    for (const d of ownedDirs) fs.rmSync(d, { recursive: true, force: true });
  };

  try {
    const settingsDir = path.join(userDataDir, 'User');
    fs.mkdirSync(settingsDir, { recursive: true });
    fs.writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
    // The extension's machine-overridable settings (seq2seq.slurm.*) also as Remote settings: code-server is a
    // remote, and once the workbench rewrites the user settings (a theme change) the remote extension host
    // reads machine-scoped values from there only.
    const machine = Object.fromEntries(Object.entries({ ...DEFAULT_SETTINGS, ...opts.settings }).filter(([k]) => k.startsWith('seq2seq.slurm.')));
    if (Object.keys(machine).length) {
      fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
      fs.writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
    }

    const vsixes = opts.vsix === undefined ? [] : Array.isArray(opts.vsix) ? opts.vsix : [opts.vsix];
    for (const v of vsixes) installVsix(codeServerDir, v, userDataDir, extensionsDir, opts.installTimeoutMs);
    if (opts.locale) writeLanguagePacks(userDataDir, extensionsDir);
  } catch (e) {
    removeDirs();
    throw e;
  }

  const attempts = opts.port === undefined ? 3 : 1;
  let lastErr: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(codeServerDir, workspace, port, userDataDir, extensionsDir, opts, removeDirs);
    } catch (e) {
      lastErr = e as Error;
      if (!/EADDRINUSE/.test(lastErr.message)) break;
    }
  }
  removeDirs();
  throw lastErr;
}

async function launch(
  codeServerDir: string,
  workspace: string,
  port: number,
  userDataDir: string,
  extensionsDir: string,
  opts: CodeServerOptions,
  removeDirs: () => void,
): Promise<CodeServer> {
  const args = [
    path.join(codeServerDir, 'out', 'node', 'entry.js'),
    '--config', configFile(userDataDir),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(opts.locale ? ['--locale', opts.locale] : []),
    workspace,
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: workspace,
    detached: true, // own process group, so stop() can kill the extension host and pty children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...opts.env },
  });
  const pgid = child.pid!;
  installExitHook();
  liveGroups.add(pgid);

  const lines: string[] = []; // last 200 lines, for error messages
  let seen: string[] = []; // up to 5000 lines since start, for waitForLog
  const partial = { out: '', err: '' };
  const onData = (key: 'out' | 'err') => (b: Buffer) => {
    const parts = (partial[key] + b.toString('utf8')).split('\n');
    partial[key] = parts.pop() ?? '';
    for (const l of parts) {
      if (!l.trim()) continue;
      lines.push(l);
      seen.push(l);
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
    if (seen.length > 5000) seen.splice(0, seen.length - 5000);
  };
  child.stdout!.on('data', onData('out'));
  child.stderr!.on('data', onData('err'));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      liveGroups.delete(pgid);
      r();
    }),
  );
  const log = () => lines.join('\n');
  const waitForLog = async (re: RegExp, ms = 60_000): Promise<string> => {
    const end = Date.now() + ms;
    while (true) {
      const hit = seen.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (exited) throw new Error(`code-server exited before logging ${re}:\n${log()}`);
      if (Date.now() > end) throw new Error(`code-server did not log ${re} within ${ms} ms:\n${log()}`);
      await sleep(200);
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await exitPromise;
      clearTimeout(t);
    }
    // Children (extension host, ptys) may outlive the main process briefly.
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
    liveGroups.delete(pgid);
    removeDirs();
  };

  const base = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited) {
      stopped = true;
      throw new Error(`code-server exited early (code ${exited.code}, signal ${exited.signal}):\n${log()}`);
    }
    if ((await httpStatus(`${base}/healthz`, 2000)) === 200) break;
    if (Date.now() > deadline) {
      const l = log();
      await stop();
      throw new Error(`code-server not ready on ${base} after ${timeoutMs} ms:\n${l}`);
    }
    await sleep(200);
  }
  return {
    url: `${base}/?folder=${encodeURIComponent(workspace)}`,
    port,
    userDataDir,
    extensionsDir,
    log,
    waitForLog,
    stop: async () => {
      await stop();
      seen = [];
    },
  };
}

/** Options for {@link launchBrowser}. */
export interface BrowserOptions {
  /** Chromium binary; default `$SEQ2SEQ_E2E_CHROMIUM`, else `chromium` / `chromium-browser` on PATH. */
  executablePath?: string;
  /** Default true; set `SEQ2SEQ_E2E_HEADED=1` or false to watch (needs a display). */
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Launch timeout (ms); default 30 000. */
  timeoutMs?: number;
}

/** A launched browser with one page; close() closes everything. */
export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

function findOnPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) {
      const f = path.join(dir, n);
      try {
        fs.accessSync(f, fs.constants.X_OK);
        return f;
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** Chromium flags that work as root in a container without GPU or network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

/**
 * Launch headless Chromium with a 1400x900 page. Page default timeout is 30 s.
 * @throws Error when the Chromium binary is missing (run scripts/e2e/setup.sh).
 */
export async function launchBrowser(opts: BrowserOptions = {}): Promise<BrowserSession> {
  const executablePath = opts.executablePath ?? process.env.SEQ2SEQ_E2E_CHROMIUM ?? findOnPath(['chromium', 'chromium-browser']);
  if (!executablePath || !fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found (${executablePath ?? 'no chromium on PATH'}). Run: bash scripts/e2e/setup.sh, or set SEQ2SEQ_E2E_CHROMIUM`);
  }
  const browser = await chromium.launch({
    executablePath,
    headless: opts.headless ?? process.env.SEQ2SEQ_E2E_HEADED !== '1',
    args: CHROMIUM_ARGS,
    timeout: opts.timeoutMs ?? 30_000,
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return {
    browser,
    context,
    page,
    close: async () => {
      await browser.close().catch(() => undefined);
    },
  };
}

/** code-server log line printed when the extension host for a browser window has started. */
export const EXTENSION_HOST_LAUNCHED = /Launched Extension Host Process/;

/**
 * Navigate to the workbench and wait until it is usable (activity bar, editor area and
 * status bar rendered). Given a {@link CodeServer} (not just a URL) it also waits until
 * the extension host process has launched, so installed extensions can be driven.
 * @throws Error after `timeoutMs` (default 60 000).
 */
export async function openWorkbench(page: Page, target: string | CodeServer, timeoutMs = 60_000): Promise<void> {
  const url = typeof target === 'string' ? target : target.url;
  await page.goto(url, { timeout: timeoutMs, waitUntil: 'domcontentloaded' });
  await waitForWorkbench(page, timeoutMs);
  if (typeof target !== 'string') await target.waitForLog(EXTENSION_HOST_LAUNCHED, timeoutMs);
}

/** code-server with the packaged extension and a browser page on its workbench. */
export interface Workbench {
  server: CodeServer;
  session: BrowserSession;
  page: Page;
}

/**
 * Start code-server on `workspace` with `vsix` installed (dark theme, wasm
 * backend, as the extension suites run) and open its workbench in Chromium.
 */
export async function startWorkbench(workspace: string, vsix: string, extra: Pick<CodeServerOptions, 'locale' | 'settings' | 'workspaceTrust' | 'env'> & { moreVsix?: string[] } = {}): Promise<Workbench> {
  const server = await startCodeServer({
    workspace,
    vsix: [vsix, ...(extra.moreVsix ?? [])],
    locale: extra.locale,
    workspaceTrust: extra.workspaceTrust,
    env: extra.env,
    // seq2seq.slurm.use never: the suites train on this machine even where sbatch is installed (test/e2e/slurm.e2e.ts sets auto).
    settings: { 'workbench.colorTheme': 'Default Dark Modern', 'seq2seq.backend': 'wasm', 'seq2seq.slurm.use': 'never', ...extra.settings },
  });
  const session = await launchBrowser();
  await openWorkbench(session.page, server);
  return { server, session, page: session.page };
}

/**
 * Close what {@link startWorkbench} started (either may be missing after a
 * failed start) and remove `workspace` unless `SEQ2SEQ_E2E_KEEP=1`.
 */
export async function closeWorkbench(wb: Workbench | undefined, workspace: string | undefined): Promise<void> {
  await wb?.session.close();
  await wb?.server.stop();
  if (workspace && process.env.SEQ2SEQ_E2E_KEEP !== '1') fs.rmSync(workspace, { recursive: true, force: true });
}

/** Wait until the VS Code workbench is rendered. @throws Error after `timeoutMs`. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  try {
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
    await page.locator('.monaco-workbench .part.editor').waitFor({ state: 'visible', timeout: timeoutMs });
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (e) {
    throw new Error(`VS Code workbench did not appear within ${timeoutMs} ms at ${page.url()}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Visible labels of the quick-input list (for failure messages). */
async function quickPickLabels(page: Page): Promise<string[]> {
  return page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''))
    .catch(() => []);
}

/**
 * Run a command by its palette title, e.g. `runCommand(page, 'View: Toggle Terminal')`:
 * opens the command palette (F1, falling back to Ctrl+Shift+P), types the title, waits
 * for a row whose label equals the title (or, failing that, starts with it) and selects it.
 * @throws Error listing the palette rows shown when no row matches within `timeoutMs`.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.keyboard.press('F1');
  try {
    await widget.waitFor({ state: 'visible', timeout: 3000 });
  } catch {
    await page.keyboard.press('Control+Shift+P');
    await widget.waitFor({ state: 'visible', timeout: timeoutMs });
  }
  await input.fill(`>${title}`);
  const want = normalise(title);
  const deadline = Date.now() + timeoutMs;
  // The palette snapshots the command list when it opens; commands contributed by an
  // extension that is still being registered appear only after reopening it.
  let reopenAt = Date.now() + 3000;
  while (true) {
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const labels = await rows.evaluateAll((els) =>
      els.map((r) => {
        const label = r.querySelector('.label-name')?.textContent ?? '';
        const desc = r.querySelector('.label-description')?.textContent ?? '';
        return { label, desc };
      }),
    );
    let idx = labels.findIndex((l) => normalise(l.label) === want);
    if (idx < 0) idx = labels.findIndex((l) => normalise(l.label).startsWith(want));
    if (idx >= 0) {
      await rows.nth(idx).click({ timeout: 5000 });
      await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
      return;
    }
    if (Date.now() > deadline) {
      const shown = await quickPickLabels(page);
      await page.keyboard.press('Escape');
      throw new Error(`command "${title}" not found in the command palette within ${timeoutMs} ms; rows shown: ${JSON.stringify(shown)}`);
    }
    if (Date.now() > reopenAt) {
      reopenAt = Date.now() + 3000;
      await page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
      await page.keyboard.press('F1');
      await widget.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
    }
    await sleep(150);
  }
}

function normalise(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Dismiss every notification toast (they cover the panels in screenshots). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

/**
 * Switch the colour theme as a user does ("Preferences: Color Theme", choose `label`),
 * then wait until the webview page in `frame` has a body class matching `bodyClass`
 * and give the workbench `settleMs` to repaint.
 * @throws Error naming `what` when the webview does not switch within 20 s.
 */
export async function setTheme(page: Page, label: string, bodyClass: RegExp, frame: Frame, what: string, settleMs = 800): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-box input').fill(label);
  const row = widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  const end = Date.now() + 20_000;
  while (!bodyClass.test((await frame.evaluate('document.body.className')) as string)) {
    if (Date.now() > end) throw new Error(`${what} did not switch to ${label} (body class ${bodyClass})`);
    await sleep(200);
  }
  await sleep(settleMs);
}

/** Messages of the notification toasts currently visible. */
export async function visibleNotifications(page: Page): Promise<string[]> {
  return page
    .locator('.notifications-toasts .notification-toast .notification-list-item-message')
    .evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent ?? ''))
    .catch(() => []);
}

/**
 * Wait until a notification toast whose message matches `text` is visible; returns
 * its message text. (Toasts hide after ~10 s unless they have buttons; wait soon after
 * triggering.) @throws Error listing the visible notifications after `timeoutMs`.
 */
export async function waitForNotification(page: Page, text: RegExp | string, timeoutMs = 20_000): Promise<string> {
  const re = typeof text === 'string' ? new RegExp(escapeRegExp(text)) : text;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const msgs = await visibleNotifications(page);
    const hit = msgs.find((m) => re.test(m));
    if (hit !== undefined) {
      // Let the slide-in animation finish so a screenshot right after shows the toast.
      await page
        .locator('.notifications-toasts .notification-toast.notification-fade-in-done', { hasText: hit })
        .first()
        .waitFor({ state: 'visible', timeout: 2000 })
        .catch(() => undefined);
      return hit;
    }
    if (Date.now() > deadline) {
      throw new Error(`no notification matching ${re} within ${timeoutMs} ms; visible: ${JSON.stringify(msgs)}`);
    }
    await sleep(200);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches a webview by its editor-tab / view title, or by a predicate on its content frame. */
export type WebviewMatcher = string | RegExp | ((frame: Frame) => boolean | Promise<boolean>);

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Browser-side script (kept as a string: TS transpilers such as tsx/esbuild inject
 * helpers like `__name` into functions, which do not exist in the page). Returns the
 * regions (editor areas of tabs / bodies of view panes) whose title matches.
 */
const WEBVIEW_REGIONS_SCRIPT = `function (arg) {
  var re = new RegExp(arg.src, arg.flags);
  var out = [];
  var tabs = Array.prototype.slice.call(document.querySelectorAll('.editor-group-container .tabs-container .tab'));
  tabs.forEach(function (tab, tabIndex) {
    var nameEl = tab.querySelector('.label-name');
    var label = nameEl && nameEl.textContent ? nameEl.textContent.trim() : '';
    if (!re.test(label)) return;
    var group = tab.closest('.editor-group-container');
    var editor = group && group.querySelector('.editor-container');
    if (!editor) return;
    var r = editor.getBoundingClientRect();
    out.push({ box: { x: r.x, y: r.y, width: r.width, height: r.height }, active: tab.classList.contains('active'), tabIndex: tabIndex });
  });
  Array.prototype.slice.call(document.querySelectorAll('.pane')).forEach(function (pane) {
    var t = pane.querySelector('.pane-header .title');
    var title = t && t.textContent ? t.textContent.trim() : '';
    var body = pane.querySelector('.pane-body');
    if (!body || !re.test(title)) return;
    var r = body.getBoundingClientRect();
    out.push({ box: { x: r.x, y: r.y, width: r.width, height: r.height }, active: true, tabIndex: -1 });
  });
  return out;
}`;

/**
 * Find a webview's content frame (the inner `#active-frame` inside the outer
 * `iframe.webview.ready`), waiting up to `timeoutMs` (default 30 000).
 *
 * - string/RegExp: the title of an editor tab (webview panel / custom editor) or of a
 *   view pane (webview view). An inactive matching tab is clicked to show it. The
 *   webview is the visible iframe overlaid on that editor group or pane body
 *   (VS Code renders webviews in an overlay, not inside the tab's DOM).
 * - function: called with each loaded content frame; the first returning true wins.
 *
 * @throws Error listing the tab titles and number of webviews seen after `timeoutMs`.
 */
export async function webviewFrame(page: Page, match: WebviewMatcher, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  let clicked = false;
  while (true) {
    const frames: { box: Box | null; frame: Frame }[] = [];
    for (const outer of await page.locator('iframe.webview.ready').elementHandles()) {
      const outerFrame = await outer.contentFrame().catch(() => null);
      const inner = await outerFrame?.$('#active-frame').catch(() => null);
      const frame = await inner?.contentFrame().catch(() => null);
      if (!frame) continue;
      const ready = await frame.evaluate(() => document.readyState === 'complete').catch(() => false);
      if (!ready) continue;
      frames.push({ box: await outer.boundingBox().catch(() => null), frame });
    }

    if (typeof match === 'function') {
      for (const f of frames) {
        if (await Promise.resolve(match(f.frame)).catch(() => false)) return f.frame;
      }
    } else {
      const re = typeof match === 'string' ? new RegExp(`^${escapeRegExp(match)}$`) : match;
      // Regions where a webview with this title would be shown.
      const regions = (await page.evaluate(`(${WEBVIEW_REGIONS_SCRIPT})(${JSON.stringify({ src: re.source, flags: re.flags.replace('g', '') })})`)) as {
        box: Box;
        active: boolean;
        tabIndex: number;
      }[];
      const active = regions.filter((r) => r.active);
      for (const r of active) {
        const f = frames.find((fr) => fr.box && fr.box.width > 0 && contains(r.box, centre(fr.box)));
        if (f) return f.frame;
      }
      if (active.length === 0 && regions.length > 0 && !clicked) {
        clicked = true;
        await page.locator('.editor-group-container .tabs-container .tab').nth(regions[0].tabIndex).click({ timeout: 5000 });
        continue;
      }
      // Fall back to the webview document's own <title>.
      for (const f of frames) {
        const t = await f.frame.title().catch(() => '');
        if (t && re.test(t)) return f.frame;
      }
    }

    if (Date.now() > deadline) {
      const tabs = await page
        .locator('.tabs-container .tab .label-name')
        .allTextContents()
        .catch(() => [] as string[]);
      throw new Error(
        `no webview matching ${typeof match === 'function' ? 'the predicate' : String(match)} within ${timeoutMs} ms; ` +
          `${frames.length} loaded webview(s); editor tabs: ${JSON.stringify(tabs)}`,
      );
    }
    await sleep(250);
  }
}

function centre(b: Box): { x: number; y: number } {
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

function contains(b: Box, p: { x: number; y: number }): boolean {
  return p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height;
}

/**
 * Open a workspace file through Quick Open (Ctrl+P) and wait for its editor tab.
 * @throws Error after `timeoutMs` (default 15 000).
 */
export async function openFile(page: Page, relPath: string, timeoutMs = 15_000): Promise<void> {
  const base = path.basename(relPath);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(relPath);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: base }).first();
  try {
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const shown = await quickPickLabels(page);
    await page.keyboard.press('Escape');
    throw new Error(`"${relPath}" not offered by Quick Open within ${timeoutMs} ms; rows: ${JSON.stringify(shown)}`);
  }
  await page.keyboard.press('Enter');
  await page
    .locator('.tabs-container .tab.active .label-name', { hasText: base })
    .waitFor({ state: 'visible', timeout: timeoutMs })
    .catch((e: Error) => {
      throw new Error(`editor tab for "${relPath}" did not become active within ${timeoutMs} ms: ${e.message.split('\n')[0]}`);
    });
}

/**
 * Save a full-page PNG screenshot as `<dir>/<name>.png` (name sanitised; dir created;
 * default {@link DEFAULT_SCREENSHOT_DIR} or `$SEQ2SEQ_E2E_SCREENSHOTS`). Returns the path.
 */
export async function screenshot(page: Page, name: string, dir?: string): Promise<string> {
  const outDir = dir ?? process.env.SEQ2SEQ_E2E_SCREENSHOTS ?? DEFAULT_SCREENSHOT_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  return file;
}
