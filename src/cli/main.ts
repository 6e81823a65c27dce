/**
 * `seq2seq` command-line interface: the same engine as the VS Code
 * extension, headless.
 *
 *   seq2seq train [--config FILE] [--out DIR] [--resume]
 *   seq2seq eval --model DIR [--model DIR …] --test FILE [--beam K] [--no-repeat-ngram N] [--repetition-penalty X]
 *                [--json] [--by-length-chart FILE.svg] [--score-reference] [--search-errors --beam 1,2,5,10]
 *   seq2seq translate --model DIR [--beam K] [--n-best N] [--no-repeat-ngram N] [--repetition-penalty X] [--json] [--beam-tree]
 *                     [--prefix TEXT | --prefix-column N] [--reference [TEXT]]  (stdin → stdout)
 *   seq2seq bleu --hyp FILE --ref FILE [--ref FILE …] [--json]
 *   seq2seq ablate --config FILE --set FIELD=V1,V2[,…] [--set …] [--base-set K=V …] [--minutes M] [--steps N] [--include-base]
 *                  [--runs-dir DIR] [--name NAME] [--beam K] [--json] [--by-length-chart FILE.svg]
 *   train / ablate --executor slurm [--partition P] [--account A] [--time T] [--cpus-per-task N] [--mem M] [--gres G]
 *                  [--max-parallel N (ablate)] [--sbatch-arg OPT …] [--setup LINE …] [--signal-seconds S] [--dry-run]
 *   seq2seq jobs status|cancel|logs FOLDER… [--json]       (run, ablation or runs folders; see docs/slurm.md)
 *
 * Exit codes: 0 success, 1 bad input (message names file and line), 2
 * internal failure.
 */
import { promises as fs, existsSync, readFileSync } from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Command, Help, Option } from 'commander';
import { applyOverrides, defaultRunConfig, loadConfig } from '../core/config/configLoader';
import type { Seq2SeqConfig } from '../core/config/config';
import { describeError } from '../core/errors';
import type { ReadingEvent, TrainingEvent } from '../core/training/events';
import { corpusBleu } from '../core/metrics/bleu';
import { displayPath } from '../core/data/corpus';
import { describeEarlyStop, readingPercent } from '../shared/format';
import { beamTreeText } from '../shared/beamTreeLayout';
import * as l10n from '@vscode/l10n';
import { setUpCliL10n } from './l10n';
import { formatLengthTable, writeLengthChart, type LengthRun } from './lengthReport';
import { evaluateModel, evaluateSearchErrors } from './evalModel';
import { beamList, formatSearchErrorTable, lineInput, readsColumns, referenceLine, unknownWordNotes } from './forcedDecoding';
import { cmdAblate, formatAblationTable, type AblateOptions } from './ablate';
import { LocalExecutor } from '../core/experiments/executor';
import { nonNegative, nonNegativeInt, positiveInt, positiveNumber, seedList } from './argParsers';
import { addExecutorOptions, addJobsCommand, slurmOptionsOf, submitTrain, type ExecutorFlags } from './slurmCli';

/** The folder holding this package's package.json (and sample-data/). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'seq2seq-lab') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the seq2seq-lab package folder');
    dir = up;
  }
}

/**
 * `--no-repeat-ngram <n>`: a valued option stored as `noRepeatNgram`, not
 * commander's `--no-` negation of a `--repeat-ngram` (which would default it
 * to true).
 */
function noRepeatNgramOption(): Option {
  const o = new Option('--no-repeat-ngram <n>', l10n.t("never repeat an n-gram in an output (0 = off; default: the run's train.noRepeatNgramSize)")).argParser(nonNegativeInt);
  o.negate = false;
  o.attributeName = () => 'noRepeatNgram';
  return o;
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run';
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One human-readable line per training event, in the CLI's language (undefined: print nothing). */
export function formatEvent(e: TrainingEvent): string | undefined {
  switch (e.type) {
    case 'reading': {
      const file = displayPath(e.file);
      if (e.done) return l10n.t('read {0}: {1} lines, {2} pairs kept', file, e.linesRead.toLocaleString('en'), e.pairsKept.toLocaleString('en'));
      return l10n.t('reading {0}: {1} lines read, {2} pairs kept ({3}%)', file, e.linesRead.toLocaleString('en'), e.pairsKept.toLocaleString('en'), readingPercent(e));
    }
    case 'started':
      return (
        l10n.t('run {0}', e.runDir) +
        '\n' +
        l10n.t(
          'backend {0} · {1} parameters · {2} train / {3} valid / {4} test pairs · vocab {5} → {6} · {7} steps/epoch',
          e.backend,
          e.parameters.toLocaleString('en'),
          e.trainPairs,
          e.validPairs,
          e.testPairs,
          e.srcVocabSize,
          e.tgtVocabSize,
          e.stepsPerEpoch,
        )
      );
    case 'progress':
      return l10n.t(
        'step {0} | epoch {1} | loss {2} | ppl {3} | {4} tok/s | lr {5} | eta {6}',
        e.step,
        e.epoch,
        e.loss.toFixed(3),
        e.perplexity.toFixed(2),
        Math.round(e.tokensPerSecond),
        e.learningRate.toExponential(1),
        formatSeconds(e.etaSeconds),
      );
    case 'validation': {
      const lines = [
        e.isBest
          ? l10n.t('valid step {0} | ppl {1} | BLEU {2} | new best', e.step, e.perplexity.toFixed(2), e.bleu.toFixed(2))
          : l10n.t('valid step {0} | ppl {1} | BLEU {2}', e.step, e.perplexity.toFixed(2), e.bleu.toFixed(2)),
      ];
      for (const s of e.samples.slice(0, 2)) lines.push(l10n.t('  src: {0}\n  ref: {1}\n  hyp: {2}', s.source, s.reference, s.hypothesis));
      return lines.join('\n');
    }
    case 'checkpoint':
      return undefined;
    case 'log':
      return e.level === 'warn' ? l10n.t('warning: {0}', e.message) : e.message;
    case 'done':
      return (e.earlyStopping ? l10n.t('stopped early: {0}', describeEarlyStop(e.earlyStopping)) + '\n' : '') + l10n.t(
        'done ({0}) after {1} steps, {2} · best valid BLEU {3} · model in {4}',
        e.reason,
        e.step,
        formatSeconds(e.elapsedSeconds),
        Number.isFinite(e.bestBleu) ? e.bestBleu.toFixed(2) : l10n.t('n/a'),
        e.runDir,
      );
  }
}

/**
 * Prints `reading` events: on a terminal one line updated in place (ended by
 * the file's last event, or by {@link end} before other output); otherwise a
 * line at most every `intervalMs` and the file's totals.
 */
export function readingPrinter(out: { isTTY?: boolean; write(s: string): unknown }, intervalMs = 5000, now: () => number = Date.now) {
  let open = false;
  let last = -Infinity;
  return {
    show(e: ReadingEvent): void {
      const text = formatEvent(e) ?? '';
      if (out.isTTY) {
        out.write('\r' + text + '\x1b[K' + (e.done ? '\n' : ''));
        open = !e.done;
        return;
      }
      const t = now();
      if (e.done || t - last >= intervalMs) {
        out.write(text + '\n');
        last = e.done ? -Infinity : t;
      }
    },
    /** Ends an open updating line. */
    end(): void {
      if (open) out.write('\n');
      open = false;
    },
  };
}

async function readLines(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(code === 'ENOENT' ? l10n.t('{0}: no such file', file) : `${file}: ${(e as Error).message}`), { name: 'DataError' });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function cmdTrain(opts: { config?: string; out?: string; resume?: boolean; maxMinutes?: number; epochs?: number; set?: string[] } & ExecutorFlags): Promise<void> {
  let config: Seq2SeqConfig;
  let configPath: string | undefined;
  const recorded = opts.resume && !opts.config && opts.out ? path.join(opts.out, 'run.json') : undefined;
  if (opts.config) {
    const loaded = await loadConfig(opts.config);
    config = loaded.config;
    configPath = loaded.path;
  } else if (recorded && existsSync(recorded)) {
    // --resume without --config: the run's own config (and budget), as run.json records it.
    const { checkRunConfig } = await import('../core/config/configLoader');
    const manifest = JSON.parse(readFileSync(recorded, 'utf8')) as { config?: unknown; configPath?: string };
    config = checkRunConfig(manifest.config, recorded);
    configPath = typeof manifest.configPath === 'string' ? manifest.configPath : undefined;
  } else {
    config = defaultRunConfig(packageRoot());
    console.log(l10n.t('no --config given: training the built-in example "{0}" on {1}', config.name ?? '', path.relative(process.cwd(), String(config.data.train)) || String(config.data.train)));
  }
  if (opts.set?.length) config = applyOverrides(config, opts.set);
  if (opts.maxMinutes !== undefined) config.train.maxMinutes = opts.maxMinutes;
  if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
  const name = config.name ?? (configPath ? path.basename(configPath).replace(/(\.seq2seq)?\.json$/, '') : 'run');
  const outDir = opts.out ?? path.join('runs', `${slug(name)}-${timestamp()}`);
  if (opts.executor === 'slurm') {
    await submitTrain({ config, configPath, runDir: path.resolve(outDir), resume: opts.resume ?? false, name: slug(name), flags: opts, packageRoot: packageRoot() });
    return;
  }
  slurmOptionsOf(opts, undefined); // refuses Slurm options without --executor slurm
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log('\n' + l10n.t('stopping after this step (press Ctrl+C again to quit at once)…'));
  };
  process.on('SIGINT', onSigint);
  const reading = readingPrinter(process.stdout);
  try {
    // This machine: the local executor trains in this process (--executor slurm submits above instead).
    const local = new LocalExecutor({
      listener: () => (e) => {
        if (e.type === 'reading') return reading.show(e);
        reading.end();
        const line = formatEvent(e);
        if (line) console.log(line);
      },
      shouldStop: () => stopping,
    });
    const [run] = (await local.submit({ name, folder: outDir, runs: [{ runDir: outDir, config, configPath, resume: opts.resume ?? false }] })).runs;
    if (run?.error !== undefined) throw run.error;
  } finally {
    reading.end();
    process.off('SIGINT', onSigint);
  }
}

/** Search options given on the command line (absent: the run's config). */
interface SearchFlags {
  noRepeatNgram?: number;
  repetitionPenalty?: number;
}

type EvalOptions = { model: string[]; test: string; beam: number; json?: boolean; batchSize: number; byLengthChart?: string; scoreReference?: boolean } & SearchFlags;

/** `eval`: each `--model` in turn on the test file (one summary line and length table, or one JSON line, each), then the by-length chart of all of them. */
async function cmdEval(rawOpts: Omit<EvalOptions, 'beam'> & { beam: number[]; searchErrors?: boolean }): Promise<void> {
  if (rawOpts.searchErrors) return cmdSearchErrors(rawOpts);
  if (rawOpts.beam.length > 1) throw Object.assign(new Error(l10n.t('--beam takes one beam size (several only with --search-errors)')), { name: 'DataError' });
  const opts: EvalOptions = { ...rawOpts, beam: rawOpts.beam[0] };
  const runs: LengthRun[] = [];
  for (const model of opts.model) {
    const run = await evalOne(model, opts);
    const same = runs.filter((r) => r.name === run.name || r.name.startsWith(`${run.name} #`)).length;
    runs.push(same > 0 ? { ...run, name: `${run.name} #${same + 1}` } : run);
  }
  if (opts.byLengthChart) {
    await writeLengthChart(opts.byLengthChart, runs);
    if (!opts.json) console.log(l10n.t('chart of BLEU by source length written to {0}', opts.byLengthChart));
  }
}

async function evalOne(modelPath: string, opts: EvalOptions): Promise<LengthRun> {
  const { result, byLength, references, checkpointDir, runDir, config: cfg } = await evaluateModel(modelPath, opts.test, opts);
  if (opts.json) {
    console.log(JSON.stringify({ bleu: result.bleu, perplexity: result.perplexity, sentences: result.sentences, loss: result.loss, beam: opts.beam, checkpoint: checkpointDir, byLength, ...referenceFields(references) }));
  } else {
    console.log(l10n.t('BLEU {0} · perplexity {1} · {2} sentences · beam {3} · {4}', result.bleu.toFixed(2), result.perplexity.toFixed(2), result.sentences, opts.beam, checkpointDir));
    if (references) console.log(referenceSummary(references));
    console.log(formatLengthTable(byLength));
  }
  const what = cfg.model.type === 'transformer' ? l10n.t('Transformer') : l10n.t('attention: {0}', cfg.model.attention);
  return { name: `${path.basename(runDir)} (${what})`, rows: byLength };
}

/** `eval --score-reference`'s JSON fields. */
function referenceFields(r?: { total: number; totalTokens: number; perToken: number; perplexity: number }): object {
  return r ? { referenceLogProb: r.total, referenceTokens: r.totalTokens, referenceLogProbPerToken: r.perToken, referencePerplexity: r.perplexity } : {};
}

/** `eval --score-reference`'s line: the references' mean log-probability per token and its perplexity. */
function referenceSummary(r: { totalTokens: number; perToken: number; perplexity: number }): string {
  return l10n.t('reference log-prob {0} per token ({1} tokens, forced decoding) · exp(−mean) = perplexity {2}', r.perToken.toFixed(4), r.totalTokens.toLocaleString('en'), r.perplexity.toFixed(2));
}

/** `eval --search-errors`: per model, the perplexity line and the table of search errors by beam size (or one JSON line). */
async function cmdSearchErrors(opts: { model: string[]; test: string; beam: number[]; json?: boolean; batchSize: number; byLengthChart?: string; scoreReference?: boolean } & SearchFlags): Promise<void> {
  if (opts.byLengthChart) throw Object.assign(new Error(l10n.t('--by-length-chart cannot be combined with --search-errors')), { name: 'DataError' });
  for (const model of opts.model) {
    let shown = -1;
    const ev = await evaluateSearchErrors(model, opts.test, {
      beams: opts.beam,
      batchSize: opts.batchSize,
      noRepeatNgram: opts.noRepeatNgram,
      repetitionPenalty: opts.repetitionPenalty,
      scoreReference: opts.scoreReference,
      // On a terminal one line updated at each percent; otherwise a line at each tenth.
      onProgress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        const tty = !!process.stderr.isTTY;
        if (pct === shown || (!tty && pct % 10 !== 0)) return;
        shown = pct;
        const text = l10n.t('search errors: {0} of {1} sentences', done, total);
        process.stderr.write(tty ? `\r${text}\x1b[K${done === total ? '\n' : ''}` : `${text}\n`);
      },
    });
    const { report } = ev;
    if (opts.json) {
      console.log(JSON.stringify({ perplexity: ev.perplexity, loss: ev.loss, sentences: ev.sentences, checkpoint: ev.checkpointDir, lengthPenalty: ev.config.train.lengthPenalty, engine: report.engine, searchErrors: report.rows, ...referenceFields(ev.references) }));
      continue;
    }
    console.log(
      l10n.t('perplexity {0} · {1} sentences · length penalty α = {2} · {3}', ev.perplexity.toFixed(2), ev.sentences, ev.config.train.lengthPenalty, ev.checkpointDir),
    );
    if (ev.references) console.log(referenceSummary(ev.references));
    console.log(formatSearchErrorTable(report.rows));
  }
}

/**
 * The plain-text block for one input line's n best: one `score<TAB>translation`
 * line per hypothesis, best first (score: the length-penalised search score,
 * 4 decimals), then a blank line. A blank input line gives just the blank line.
 */
export function formatNBest(entries: readonly { text: string; score: number }[]): string {
  return entries.map((e) => `${e.score.toFixed(4)}\t${e.text}\n`).join('');
}

async function cmdTranslate(
  opts: { model: string; beam?: number; nBest?: number; json?: boolean; beamTree?: boolean; prefix?: string; prefixColumn?: number; reference?: string | boolean } & SearchFlags,
): Promise<void> {
  if (opts.prefix !== undefined && opts.prefixColumn !== undefined) throw Object.assign(new Error(l10n.t('give --prefix or --prefix-column, not both')), { name: 'DataError' });
  const { Translator } = await import('../core/decoding/translator');
  const translator = await Translator.load(opts.model);
  try {
    const nBest = opts.nBest ?? translator.config.train.nBest ?? 1;
    const layout = { prefix: opts.prefix, prefixColumn: opts.prefixColumn, reference: opts.reference, srcColumn: translator.config.data.srcColumn, tgtColumn: translator.config.data.tgtColumn };
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    let lineNo = 0;
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === '') {
        console.log(opts.json ? JSON.stringify({ source: line, text: '', ...(nBest > 1 ? { nBest: [] } : {}) }) : '');
        continue;
      }
      const where = `stdin:${lineNo}`;
      const input = lineInput(line, where, layout);
      const t = translator.translate(readsColumns(layout) ? input.source : line, {
        ...(input.prefix !== undefined ? { prefix: { text: input.prefix } } : {}),
        ...(input.reference !== undefined ? { reference: input.reference } : {}),
        beamSize: opts.beam,
        nBest,
        noRepeatNgramSize: opts.noRepeatNgram,
        repetitionPenalty: opts.repetitionPenalty,
        topK: opts.json ? 5 : 0,
        // Plain text shows no attention: no Transformer heads to copy at each step.
        heads: !!opts.json,
        beamTree: opts.beamTree,
      });
      for (const note of unknownWordNotes(t, where)) console.error(`seq2seq: ${note}`);
      if (opts.json) console.log(JSON.stringify(t));
      else {
        if (nBest > 1) console.log(formatNBest(t.nBest ?? []));
        else console.log(t.text);
        if (t.reference) console.log(referenceLine(t));
        if (opts.beamTree) console.log((t.beamTree ? beamTreeText(t.beamTree) : l10n.t('(greedy search: no beam tree; use --beam 2 or more)')) + '\n');
      }
    }
  } finally {
    translator.dispose();
  }
}

async function cmdBleu(opts: { hyp: string; ref: string[]; json?: boolean }): Promise<void> {
  const hyps = await readLines(opts.hyp);
  const refs = await Promise.all(opts.ref.map(readLines));
  refs.forEach((r, i) => {
    if (r.length !== hyps.length) {
      throw Object.assign(new Error(l10n.t('{0} has {1} lines but {2} has {3}: the files must be line-aligned', opts.ref[i], r.length, opts.hyp, hyps.length)), { name: 'DataError' });
    }
  });
  const r = corpusBleu(hyps, refs);
  if (opts.json) {
    console.log(JSON.stringify({ bleu: r.score, precisions: r.precisions, bp: r.bp, sys_len: r.sysLen, ref_len: r.refLen, counts: r.counts, totals: r.totals }));
  } else {
    const p = r.precisions.map((x) => x.toFixed(1)).join('/');
    console.log(`BLEU = ${r.score.toFixed(2)} ${p} (BP = ${r.bp.toFixed(3)} ratio = ${(r.sysLen / Math.max(r.refLen, 1)).toFixed(3)} hyp_len = ${r.sysLen} ref_len = ${r.refLen})`);
  }
}

/**
 * commander's help in the CLI's language: its headings and the "(default: …)"
 * note are commander's own text, so they are translated here.
 */
function localizedHelp(cmd: Command): void {
  cmd.helpOption('-h, --help', l10n.t('display help for command'));
  cmd.configureHelp({
    formatHelp: (c, helper) =>
      Help.prototype.formatHelp
        .call(helper, c, helper)
        .replace(/^Usage: /, l10n.t('Usage: '))
        .replace(/^Arguments:$/m, l10n.t('Arguments:'))
        .replace(/^Options:$/m, l10n.t('Options:'))
        .replace(/^Commands:$/m, l10n.t('Commands:')),
    optionDescription(this: Help, o) {
      return Help.prototype.optionDescription.call(this, o).replace(/ \(default: (.*)\)$/, (_, v: string) => {
        const note = l10n.t('(default: {0})', v);
        return note.startsWith('(') ? ` ${note}` : note; // full-width brackets need no space
      });
    },
  });
}

/** Build the commander program, in the CLI's language (exported for tests). */
export function buildProgram(): Command {
  const program = new Command();
  program.name('seq2seq').description(l10n.t('Train, evaluate and run attention encoder–decoder models (Seq2Seq Lab).')).showHelpAfterError();
  program.helpCommand('help [command]', l10n.t('display help for command'));
  const train = program
    .command('train')
    .description(l10n.t('train a model; without --config, the built-in example on sample-data/'))
    .option('-c, --config <file>', l10n.t('JSON config (see schemas/config.schema.json)'))
    .option('-o, --out <dir>', l10n.t('run folder to write (default: runs/<name>-<time>)'))
    .option('--resume', l10n.t("continue from the run folder's last checkpoint"))
    .option('--max-minutes <n>', l10n.t('override train.maxMinutes'), nonNegative)
    .option('--epochs <n>', l10n.t('override train.epochs'), positiveInt)
    .option('--set <key=value>', l10n.t('override any config key, e.g. --set train.batchSize=64 --set model.readout=maxout (repeatable)'), (v: string, prev: string[] = []) => [...prev, v]);
  addExecutorOptions(train, false).action(cmdTrain);
  const evalCmd = program
    .command('eval')
    .description(l10n.t('BLEU (overall and by source length) and perplexity of trained models on a test file'))
    .requiredOption('-m, --model <dir>', l10n.t('run folder (uses best/) or checkpoint folder; repeat to evaluate several runs on the same test file'), (v: string, prev?: string[]) => [...(prev ?? []), v])
    .requiredOption('-t, --test <file>', l10n.t('TSV with the same columns as the training data'))
    .addOption(new Option('-b, --beam <k>', l10n.t('beam size (1 = greedy)')).argParser(beamList).default([1], '1'))
    .option('--batch-size <n>', l10n.t('sentences per greedy decoding batch'), positiveInt, 64)
    .addOption(noRepeatNgramOption())
    .option('--repetition-penalty <x>', l10n.t("repetition penalty θ: repeated tokens score log p − log θ (1 = off; default: the run's train.repetitionPenalty)"), positiveNumber)
    .option('--json', l10n.t('print one JSON object per model {bleu, perplexity, sentences, …, byLength: [{bucket, minTokens, maxTokens, sentences, bleu, refLength, hypLength}]}'))
    .option('--by-length-chart <file.svg>', l10n.t('write an SVG chart of test BLEU by source length (1–5, 6–10, 11–15, 16–20, 21–30, 31+ tokens), one line per model'))
    .option('--score-reference', l10n.t("also score every reference by forced decoding: the mean log-probability per reference token (exp of its negation is the perplexity)"))
    .option(
      '--search-errors',
      l10n.t('per beam size of --beam, which then takes a comma-separated list (e.g. --beam 1,2,5,10): BLEU and the shares of search errors (the model scores the reference above the output, same length penalty), model errors, exact and empty outputs'),
    )
    .action(cmdEval);
  const translate = program
    .command('translate')
    .description(l10n.t('translate source lines from stdin: one output line per input line (with --n-best N, N scored lines and a blank line)'))
    .requiredOption('-m, --model <dir>', l10n.t('run folder (uses best/) or checkpoint folder'))
    .option('-b, --beam <k>', l10n.t("beam size (default: the run's train.beamSize)"), positiveInt)
    .option(
      '-n, --n-best <n>',
      l10n.t("print the n best translations of each line, one 'score<TAB>translation' line each, best first, then a blank line; the beam is widened to at least n (default: the run's train.nBest)"),
      positiveInt,
    )
    .addOption(noRepeatNgramOption())
    .option('--repetition-penalty <x>', l10n.t("repetition penalty θ: repeated tokens score log p − log θ (1 = off; default: the run's train.repetitionPenalty)"), positiveNumber)
    .option('--json', l10n.t('print one JSON object per line with tokens, attention and candidates (and nBest: [{text, tokens, score, logProb}] with --n-best above 1)'))
    .option(
      '--beam-tree',
      l10n.t('also print the beam search tree of each line (beam 2 or more): one line per expansion under its parent with its score, * the path of the translation, ✓ finished, ✗ pruned (beamTree in --json)'),
    )
    .option('--prefix <text>', l10n.t('what-if decoding: force every output to start with TEXT (target words; unknown ones as <unk>), then let the search finish it'))
    .option('--prefix-column <n>', l10n.t('what-if decoding from TSV input: the prefix is column N (0-based) of each line, the source the run\'s data.srcColumn'), nonNegativeInt)
    .option(
      '--reference [text]',
      l10n.t("score a reference by forced decoding: TEXT for every line, or without TEXT each line is TSV and the run's data.tgtColumn is the reference; prints its log-prob and score beside the output's and the verdict (search error / model error); --json adds per-token log-probs, the forced alignment and the exposure-bias tracks"),
    )
    .action(cmdTranslate);
  const bleu = program
    .command('bleu')
    .description(l10n.t('corpus BLEU of detokenized hypotheses (sacreBLEU 2.x default: 13a, exp smoothing)'))
    .requiredOption('--hyp <file>', l10n.t('hypotheses, one per line'))
    .requiredOption('--ref <file...>', l10n.t('references, one per line (repeat for several references)'))
    .option('--json', l10n.t('print {bleu, precisions, bp, sys_len, ref_len}'))
    .action(cmdBleu);
  const ablate = program
    .command('ablate')
    .description(
      l10n.t(
        'train variants of a config one after another, each with one field changed, with the same budget; compare their test BLEU (table, ablation.json, chart). The Transformer is a model.type value: --set model.type=transformer',
      ),
    )
    .requiredOption('-c, --config <file>', l10n.t('the base JSON config'))
    .requiredOption(
      '--set <field=v1,v2,…>',
      l10n.t('a field and its values, e.g. --set model.attention=none,bahdanau: one variant per value, the base with that field changed (repeatable: one field each)'),
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--base-set <key=value>', l10n.t('change the base config of every variant, e.g. --base-set data.maxLength=30 (repeatable, as train --set)'), (v: string, prev: string[] = []) => [...prev, v])
    .option('--minutes <m>', l10n.t('training budget of every variant in minutes (sets train.maxMinutes; default: the config\'s)'), positiveNumber)
    .option('--steps <n>', l10n.t('step budget of every variant (sets train.maxSteps; default: the config\'s)'), positiveInt)
    .option('--include-base', l10n.t('also train the base config unchanged, first'))
    .option('--seeds <list>', l10n.t('train every variant once per seed (train.seed: initialisation, batch order, dropout), e.g. --seeds 1,2,3, all on the same held-out pairs; the table adds each variant\'s mean ± sd over them'), seedList)
    .option('--runs-dir <dir>', l10n.t('folder of the run folders and of the ablation summary'), 'runs')
    .option('--name <name>', l10n.t('name of the runs (default: the config\'s name or file name)'))
    .option('-b, --beam <k>', l10n.t('beam size of the test evaluation (1 = greedy)'), positiveInt, 1)
    .option('--batch-size <n>', l10n.t('sentences per greedy decoding batch'), positiveInt, 64)
    .option('--json', l10n.t('print the summary (the content of ablation.json) as JSON; the training log goes to stderr'))
    .option('--by-length-chart <file.svg>', l10n.t('write an SVG chart of test BLEU by source length, one line per variant'));
  addExecutorOptions(ablate, true).action(async (o: AblateOptions) => {
    await cmdAblate(o, { formatEvent, readingPrinter, packageRoot: packageRoot() });
  });
  addJobsCommand(program, localizedHelp, formatAblationTable);
  for (const c of [program, train, evalCmd, translate, bleu, ablate]) localizedHelp(c);
  return program;
}

/** Entry point: parse argv, run, map errors to exit codes. */
export async function main(argv: string[] = process.argv): Promise<void> {
  setUpCliL10n(packageRoot(), process.env);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    const { message, detail, expected } = describeError(e);
    console.error(`seq2seq: ${message}`);
    if (detail && process.env.SEQ2SEQ_DEBUG) console.error(detail);
    process.exitCode = expected ? 1 : 2;
  }
}

if (require.main === module) void main();
