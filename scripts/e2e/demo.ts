/**
 * `npm run demo`: try Seq2Seq Lab in a browser, without VS Code.
 *
 * Starts the same VS Code the end-to-end tests use (code-server 4.100.3, installed and
 * cached by scripts/e2e/setup.sh) on 127.0.0.1 with the packaged extension (.vsix) and a
 * sample workspace, prints the address and keeps running until Ctrl-C, which stops
 * code-server (and its extension host and training workers) cleanly.
 *
 * The sample workspace (default `.e2e/demo/workspace`, gitignored; kept between runs, so
 * trained models stay) holds:
 *   data/en-fr.tsv, data/dates.tsv       copies of the generated sample-data/ sets
 *   en-fr.seq2seq.json                   a ready config (word-level toy English→French, ~3 min)
 *   dates.seq2seq.json                   a ready config (character-level date normalisation)
 *   sentences.txt                        English sentences to select and translate
 *   README.md                            the steps (opened on start)
 *
 * Usage: npm run demo [-- options]
 *   --port N       port on 127.0.0.1 (default 8080, or $SEQ2SEQ_DEMO_PORT; a free one if busy)
 *   --dir D        demo folder (default .e2e/demo, or $SEQ2SEQ_DEMO_DIR)
 *   --fresh        recreate the workspace (deletes its runs)
 *   --train-first  train the en-fr model with the CLI before starting (about 3 minutes; skipped
 *                  when runs/ already has one), so Translate Selection works at once
 *   --theme NAME   colour theme (default "Default Dark Modern")
 * Exit status 1 with the reason when set-up, packaging or start-up fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer, type CodeServer } from '../../test/e2e/harness';
import { packagedVsix } from '../../test/e2e/vsix';

interface DemoOptions {
  port: number;
  dir: string;
  fresh: boolean;
  trainFirst: boolean;
  theme: string;
}

function parseArgs(argv: string[]): DemoOptions {
  const o: DemoOptions = {
    port: Number(process.env.SEQ2SEQ_DEMO_PORT ?? 8080),
    dir: path.resolve(process.env.SEQ2SEQ_DEMO_DIR ?? path.join(REPO_ROOT, '.e2e', 'demo')),
    fresh: false,
    trainFirst: false,
    theme: 'Default Dark Modern',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--port') o.port = Number(value());
    else if (a === '--dir') o.dir = path.resolve(value());
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--train-first') o.trainFirst = true;
    else if (a === '--theme') o.theme = value();
    else if (a === '--help' || a === '-h') {
      const doc = fs.readFileSync(__filename, 'utf8').match(/\/\*\*([\s\S]*?)\*\//)?.[1] ?? '';
      console.log(doc.replace(/^ \* ?/gm, '').trim());
      process.exit(0);
    } else fail(`unknown option ${a} (see --help)`);
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) fail(`--port must be an integer 1–65535, got ${o.port}`);
  return o;
}

function fail(msg: string): never {
  console.error(`[demo] ${msg}`);
  process.exit(1);
}

const log = (msg: string) => console.log(`[demo] ${msg}`);

/** Sentences in the toy grammar's vocabulary (sample-data/en-fr.tsv), and one with an unknown word. */
const SENTENCES = [
  'The red car is big.',
  'She ate my pretty white apple.',
  'My young cats will not buy the pretty mice.',
  'He takes my black bike.',
  'The dog is near the old tree.',
  'The zebra sleeps in the tree.',
];

const WORKSPACE_README = `# Seq2Seq Lab demo

This folder is a sample workspace for the Seq2Seq Lab extension (installed in this
VS Code from its packaged .vsix).

1. **Train a model.** Press F1 (or Ctrl+Shift+P), run **Seq2Seq: Train Seq2Seq Model**
   and pick \`en-fr.seq2seq.json\` (toy English → French, about 3 minutes on 2 CPU cores).
   The Training panel opens beside the editor with live loss, perplexity, BLEU and
   sample translations; the status bar shows the step. \`dates.seq2seq.json\` is a
   character-level date normaliser ("18 jan. 2019" → "2019-01-18").
2. **Translate.** Open \`sentences.txt\`, select one or more lines, right-click →
   **Translate Selection**. The translation appears in a notification with *Replace*,
   *Insert Below* and *Show Attention* (setting \`seq2seq.translate.output\` changes where
   it goes).
3. **See the alignment.** *Show Attention* (or **Seq2Seq: Show Attention**) shows which
   source words each target word attended to, and the decoder's top-5 candidates per step.
   "zebra" is not in the training data: it appears as \`<unk>\`.
4. **Models.** The Seq2Seq icon in the activity bar lists the runs in \`runs/\` with their
   best BLEU; right-click a run to set it active, open its Training panel or config,
   or delete it.
`;

/** Write the sample workspace (files that already exist are kept unless `fresh`). */
function prepareWorkspace(ws: string, fresh: boolean): void {
  if (fresh) fs.rmSync(ws, { recursive: true, force: true });
  fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
  const put = (rel: string, content: string | Buffer) => {
    const f = path.join(ws, rel);
    if (!fs.existsSync(f)) fs.writeFileSync(f, content);
  };
  const sample = path.join(REPO_ROOT, 'sample-data');
  for (const f of ['en-fr.tsv', 'dates.tsv']) {
    const src = path.join(sample, f);
    if (!fs.existsSync(src)) fail(`${path.relative(REPO_ROOT, src)} is missing (regenerate it with: npm run generate-sample-data)`);
    put(path.join('data', f), fs.readFileSync(src));
  }
  const enFr = JSON.parse(fs.readFileSync(path.join(sample, 'en-fr.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const dates = JSON.parse(fs.readFileSync(path.join(sample, 'dates.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  // Demo-sized: a few minutes of training on a laptop; the $schema is not in the workspace.
  const demoConfig = (c: Record<string, Record<string, unknown>>, name: string, data: string, train: Record<string, unknown>) => {
    const { $schema: _drop, ...rest } = c as Record<string, unknown>;
    return JSON.stringify({ ...rest, name, data: { ...c.data, train: data }, train: { ...c.train, ...train } }, null, 2) + '\n';
  };
  put('en-fr.seq2seq.json', demoConfig(enFr, 'en-fr', 'data/en-fr.tsv', { maxMinutes: 3, epochs: 4 }));
  put('dates.seq2seq.json', demoConfig(dates, 'dates', 'data/dates.tsv', { maxMinutes: 3 }));
  put('sentences.txt', SENTENCES.join('\n') + '\n');
  put('README.md', WORKSPACE_README);
}

/** True when nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const ws = path.join(o.dir, 'workspace');
  log(`packaging the extension (npm run package, skipped when dist-vsix/ is up to date)…`);
  const vsix = packagedVsix();
  prepareWorkspace(ws, o.fresh);
  const trained = () => {
    const runs = path.join(ws, 'runs');
    return fs.existsSync(runs) && fs.readdirSync(runs).some((d) => d.startsWith('en-fr-') && fs.existsSync(path.join(runs, d, 'best', 'weights.json')));
  };
  if (o.trainFirst && trained()) log('--train-first: an en-fr run with a best checkpoint already exists in runs/; not training again');
  else if (o.trainFirst) {
    log('training en-fr with the CLI first (seq2seq train --config en-fr.seq2seq.json; Ctrl-C skips)…');
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'seq2seq.js'), 'train', '--config', 'en-fr.seq2seq.json'], {
      cwd: ws,
      stdio: 'inherit',
    });
    if (r.status !== 0) log(`training ended with exit status ${r.status ?? r.signal}; starting anyway`);
  }
  let port = o.port;
  if (!(await portFree(port))) {
    log(`port ${port} is in use; picking a free one`);
    port = 0;
  }
  log(`starting code-server with ${path.relative(REPO_ROOT, vsix)} installed…`);
  let server: CodeServer;
  try {
    server = await startCodeServer({
      workspace: ws,
      vsix,
      port: port || undefined,
      userDataDir: path.join(o.dir, 'user-data'),
      extensionsDir: path.join(o.dir, 'extensions'),
      settings: { 'workbench.colorTheme': o.theme, 'workbench.startupEditor': 'readme' },
      startTimeoutMs: 120_000,
    });
  } catch (e) {
    fail(`code-server did not start: ${(e as Error).message}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping code-server…`);
    await server.stop();
    log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  console.log('');
  console.log(`  Seq2Seq Lab demo is running: open  ${server.url}`);
  const rel = path.relative(process.cwd(), ws);
  console.log(`  in a browser (Chromium, Chrome, Firefox, Edge). Workspace: ${rel && !rel.startsWith('..') ? rel : ws}`);
  console.log('  Steps are in the README it opens. Press Ctrl-C to stop.');
  console.log('');
  // Keep running; surface a crash of code-server.
  await server.waitForLog(/a pattern that never appears/, 2 ** 31 - 1).catch((e: Error) => {
    if (!stopping) fail(`code-server stopped unexpectedly: ${e.message}`);
  });
}

main().catch((e) => fail((e as Error).stack ?? String(e)));
