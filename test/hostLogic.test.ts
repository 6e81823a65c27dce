import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import type { DoneEvent, ProgressEvent, TrainingEvent, ValidationEvent } from '../src/core/training/events';
import { loadConfig } from '../src/core/config/configLoader';
import { formatEvent } from '../src/cli/main';
import {
  describeEarlyStop,
  eventLogLine,
  formatCount,
  formatDuration,
  formatLearningRate,
  formatMetric,
  statusText,
} from '../src/shared/format';
import { RunStore } from '../src/host/logic/runStore';
import {
  chooseRunDir,
  configNameFromPath,
  parseErrorLocation,
  runDirName,
  sanitizeName,
  uniqueFile,
} from '../src/core/runs/runNaming';
import { createConfigTemplate, renderConfigTemplate, templateStem } from '../src/host/logic/configTemplate';
import { renderPanelHtml } from '../src/host/logic/panelHtml';

const progress = (step: number, extra: Partial<ProgressEvent> = {}): ProgressEvent => ({
  type: 'progress', backend: 'wasm', step, epoch: 1, loss: 2.3141, perplexity: Math.exp(2.3141),
  tokensPerSecond: 1834, etaSeconds: 600, learningRate: 1e-3, elapsedSeconds: step, ...extra,
});
const validation = (step: number, bleu: number): ValidationEvent => ({
  type: 'validation', backend: 'wasm', step, epoch: 1, loss: 2, perplexity: Math.exp(2), bleu,
  samples: [{ source: 'a', reference: 'b', hypothesis: 'c' }], isBest: true, learningRate: 1e-3, elapsedSeconds: step,
});
const done = (reason: DoneEvent['reason'], step = 100): DoneEvent => ({
  type: 'done', reason, backend: 'wasm', step, epoch: 2, elapsedSeconds: 90, bestBleu: 23.45, bestPerplexity: 7.1, runDir: '/r',
});
const RUN = { name: 'fra-eng', runDir: '/ws/runs/fra-eng-20250101-000000', configPath: '/ws/fra-eng.seq2seq.json' };

describe('host: formatting', () => {
  it('formats counts compactly', () => {
    assert.equal(formatCount(950), '950');
    assert.equal(formatCount(1834), '1.8k');
    assert.equal(formatCount(1000), '1k');
    assert.equal(formatCount(12_500), '13k');
    assert.equal(formatCount(2_300_000), '2.3M');
    assert.equal(formatCount(NaN), '–');
  });

  it('formats durations and unknown ETAs', () => {
    assert.equal(formatDuration(45), '45s');
    assert.equal(formatDuration(187), '3m 07s');
    assert.equal(formatDuration(3900), '1h 05m');
    assert.equal(formatDuration(2 * 86400 + 3 * 3600), '2d 03h');
    assert.equal(formatDuration(-1), '–');
    assert.equal(formatDuration(Infinity), '–');
  });

  it('formats metrics and learning rates', () => {
    assert.equal(formatMetric(2.3141), '2.31');
    assert.equal(formatMetric(15.26), '15.3');
    assert.equal(formatMetric(152.3), '152');
    assert.equal(formatLearningRate(0.001), '1e-3');
    assert.equal(formatLearningRate(0.0005), '5e-4');
    assert.equal(formatLearningRate(0.00025), '2.5e-4');
  });

  it('builds the status bar text for each phase', () => {
    assert.equal(
      statusText({ phase: 'training', progress: progress(1200) }),
      '$(sync~spin) Seq2Seq: step 1200 · loss 2.31 · 1.8k tok/s',
    );
    assert.equal(statusText({ phase: 'done', done: done('epochs', 5000) }), '$(check) Seq2Seq: done at step 5000 · BLEU 23.4');
    assert.equal(statusText({ phase: 'done', done: { ...done('cancelled', 40), bestBleu: NaN } }), '$(debug-stop) Seq2Seq: stopped at step 40');
    assert.match(statusText({ phase: 'preparing' }), /^\$\(sync~spin\) Seq2Seq: /);
    assert.match(statusText({ phase: 'failed' }), /^\$\(error\) /);
  });

  it('writes one readable line per event type', () => {
    const events: TrainingEvent[] = [
      { type: 'started', runDir: '/r', backend: 'wasm', parameters: 1_200_000, trainPairs: 10, validPairs: 2, testPairs: 2,
        srcVocabSize: 50, tgtVocabSize: 60, stepsPerEpoch: 5, totalSteps: 50, startStep: 0, time: '2025-01-01T00:00:00Z' },
      progress(1200),
      validation(1500, 12.345),
      { type: 'checkpoint', kind: 'best', step: 1500, path: '/r/best' },
      { type: 'log', level: 'warn', message: 'hello' },
      done('early-stopping'),
    ];
    const lines = events.map(eventLogLine);
    assert.match(lines[0], /started on wasm: 1\.2M parameters, 10 train/);
    assert.match(lines[1], /^epoch 1 step 1200: loss 2\.31, .*1\.8k tok\/s, lr 1e-3, ETA 10m 00s$/);
    assert.match(lines[2], /validation at step 1500 .*BLEU 12\.3 \(best\)/);
    assert.match(lines[3], /best checkpoint at step 1500/);
    assert.equal(lines[4], 'hello');
    assert.match(lines[5], /finished \(early stopping\) at step 100/);
    for (const l of lines) assert.ok(!l.includes('\n'));
  });

  it('says why early stopping ended a run: the rule, minDelta, patience and the last improvement', () => {
    const info = { metric: 'perplexity' as const, patience: 3, minDelta: 0.01, sinceStep: 300, metricValue: 1.0050548, perplexity: 1.0050548 };
    assert.equal(describeEarlyStop(info), 'validation perplexity has not improved by more than 0.01 for 3 validations (last improvement at step 300: perplexity 1.0051)');
    assert.equal(describeEarlyStop({ ...info, minDelta: 0 }), 'validation perplexity has not improved for 3 validations (last improvement at step 300: perplexity 1.0051)');
    assert.equal(
      describeEarlyStop({ ...info, metric: 'bleu', metricValue: 42.4538, perplexity: 5.3 }),
      'neither validation BLEU nor perplexity has improved by more than 0.01 for 3 validations (last improvement at step 300: BLEU 42.45, perplexity 5.3000)',
    );
    assert.equal(describeEarlyStop({ ...info, sinceStep: 0, perplexity: NaN }), 'validation perplexity has not improved by more than 0.01 for 3 validations');
    // patience 1: one validation, said as such (not "for 1 validations")
    assert.equal(describeEarlyStop({ ...info, patience: 1, sinceStep: 0 }), 'validation perplexity did not improve by more than 0.01 at the last validation');
    assert.equal(describeEarlyStop({ ...info, patience: 1, minDelta: 0, sinceStep: 0 }), 'validation perplexity did not improve at the last validation');
    assert.equal(describeEarlyStop({ ...info, metric: 'bleu', patience: 1, sinceStep: 0 }), 'neither validation BLEU nor perplexity improved by more than 0.01 at the last validation');
    assert.equal(describeEarlyStop({ ...info, metric: 'loss', patience: 1, minDelta: 0, sinceStep: 0 }), 'neither validation loss nor perplexity improved at the last validation');
    const line = eventLogLine({ ...done('early-stopping'), earlyStopping: info });
    assert.match(line, /^stopped early at step 100, epoch 2, after .*: validation perplexity has not improved by more than 0\.01 for 3 validations \(last improvement at step 300: perplexity 1\.0051\); best BLEU/);
    assert.ok(!line.includes('\n'));
    const cli = formatEvent({ ...done('early-stopping'), earlyStopping: info })!.split('\n');
    assert.equal(cli.length, 2);
    assert.equal(cli[0], 'stopped early: validation perplexity has not improved by more than 0.01 for 3 validations (last improvement at step 300: perplexity 1.0051)');
    assert.match(cli[1], /^done \(early-stopping\) after 100 steps/);
  });
});

describe('host: RunStore', () => {
  it('ignores events before a run begins', () => {
    const s = new RunStore();
    assert.equal(s.append(progress(1)), false);
    assert.equal(s.state, undefined);
    assert.deepEqual(s.replay(), { type: 'replay', run: undefined, events: [], running: false });
  });

  it('replays events in arrival order and tracks the latest ones', () => {
    const s = new RunStore();
    s.begin(RUN);
    const evs: TrainingEvent[] = [progress(10), progress(20), validation(20, 5), progress(30)];
    for (const e of evs) s.append(e);
    const r = s.replay();
    assert.equal(r.type, 'replay');
    assert.deepEqual(r.run, RUN);
    assert.equal(r.running, true);
    assert.deepEqual(r.events, evs);
    assert.equal(s.lastProgress?.step, 30);
    assert.equal(s.lastValidation?.step, 20);
    assert.equal(s.state, 'running');
    // The replay is a snapshot: later events and mutations do not leak into it.
    r.events.pop();
    s.append(progress(40));
    assert.equal(s.replay().events.length, 5);
  });

  it('derives finished / stopped / failed and starts clean on begin', () => {
    const s = new RunStore();
    s.begin(RUN);
    s.append(done('epochs'));
    assert.equal(s.running, false);
    assert.equal(s.state, 'finished');
    s.begin({ ...RUN, name: 'second' });
    assert.equal(s.state, 'running');
    assert.equal(s.events.length, 0);
    assert.equal(s.done, undefined);
    s.append(done('cancelled'));
    assert.equal(s.state, 'stopped');
    s.begin(RUN);
    s.end();
    assert.equal(s.state, 'stopped');
    s.begin(RUN);
    s.fail('boom');
    assert.equal(s.state, 'failed');
    assert.equal(s.failure, 'boom');
    assert.equal(s.replay().running, false);
  });

  it('a followed Slurm run\'s job (queued, requeued) is replayed while the run is live, and forgotten when it ends or a new run begins', () => {
    const s = new RunStore();
    s.begin(RUN);
    s.append(progress(10));
    const job = { queued: true, note: 'checkpointed at step 10 before the time limit and requeued' };
    s.job = job;
    assert.deepEqual(s.replay().job, job);
    s.append(done('cancelled')); // the task stopped to requeue itself; the host holds this back while the job is queued
    assert.equal(s.replay().job, undefined, 'an ended run has no job to show');
    s.begin(RUN);
    s.job = { queued: false };
    s.begin({ ...RUN, name: 'second' });
    assert.equal(s.job, undefined);
    assert.equal('job' in s.replay(), false);
  });

  it('bounds progress history on long runs, keeping order, the latest progress and every other event', () => {
    const s = new RunStore({ maxProgressEvents: 100 });
    s.begin(RUN);
    for (let step = 1; step <= 1000; step++) {
      s.append(progress(step));
      if (step % 100 === 0) s.append(validation(step, step / 10));
    }
    const events = s.events;
    const steps = events.filter((e) => e.type === 'progress').map((e) => (e as ProgressEvent).step);
    assert.ok(steps.length <= 100, `kept ${steps.length}`);
    assert.ok(steps.length >= 50, `kept ${steps.length}`);
    assert.equal(steps[steps.length - 1], 1000);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i] > steps[i - 1]);
    assert.equal(events.filter((e) => e.type === 'validation').length, 10);
    // Events stay in step order overall.
    const allSteps = events.map((e) => (e as { step: number }).step);
    for (let i = 1; i < allSteps.length; i++) assert.ok(allSteps[i] >= allSteps[i - 1]);
  });
});

describe('host: run and config naming', () => {
  it('derives the run name from the config file name', () => {
    assert.equal(configNameFromPath('/ws/fra-eng.seq2seq.json'), 'fra-eng');
    assert.equal(configNameFromPath('/ws/sample-data/tiny.config.json'), 'tiny');
    assert.equal(configNameFromPath('/ws/exp1/seq2seq.config.json'), 'exp1');
    assert.equal(configNameFromPath('/ws/other.json'), 'other');
  });

  it('names run folders <name>-<YYYYMMDD-HHMMSS> in local time', () => {
    assert.equal(runDirName('fra-eng', new Date(2025, 0, 2, 3, 4, 5)), 'fra-eng-20250102-030405');
    assert.equal(runDirName('dates (built-in example)', new Date(2025, 11, 31, 23, 59, 59)), 'dates-built-in-example-20251231-235959');
  });

  it('sanitizes any name into a non-empty portable folder name', () => {
    assert.equal(sanitizeName('Français → English'), 'Francais-English');
    assert.equal(sanitizeName('../../etc'), 'etc');
    assert.equal(sanitizeName('///'), 'run');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = sanitizeName(s);
        return /^[A-Za-z0-9._-]+$/.test(out) && out.length <= 60 && !out.startsWith('.') && !out.startsWith('-');
      }),
    );
  });

  it('never reuses an existing run folder or config file', () => {
    const taken = new Set([path.join('/ws', 'runs', 'a-20250102-030405'), path.join('/ws', 'runs', 'a-20250102-030405-2')]);
    const dir = chooseRunDir('/ws', 'runs', 'a', new Date(2025, 0, 2, 3, 4, 5), (p) => taken.has(p));
    assert.equal(dir, path.join('/ws', 'runs', 'a-20250102-030405-3'));
    assert.equal(chooseRunDir('/ws', '/abs/runs', 'a', new Date(2025, 0, 2, 3, 4, 5), () => false), path.join('/abs/runs', 'a-20250102-030405'));
    const f = uniqueFile('/ws', 'x', '.seq2seq.json', (p) => p === path.join('/ws', 'x.seq2seq.json'));
    assert.equal(f, path.join('/ws', 'x-2.seq2seq.json'));
  });

  it('finds file:line:column in config error messages', () => {
    assert.deepEqual(parseErrorLocation('/ws/a.seq2seq.json:12:5: expected a number (got "x")'), { file: '/ws/a.seq2seq.json', line: 12, column: 5 });
    assert.deepEqual(parseErrorLocation('C:\\ws\\a.json:3:1: unknown key "foo"'), { file: 'C:\\ws\\a.json', line: 3, column: 1 });
    assert.deepEqual(parseErrorLocation('a.json:7: bad'), { file: 'a.json', line: 7 });
    assert.equal(parseErrorLocation('config file not found'), undefined);
  });
});

describe('host: config template', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-host-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('names templates after the data', () => {
    assert.equal(templateStem({ kind: 'tsv', file: '/d/fra-eng.tsv' }), 'fra-eng');
    assert.equal(templateStem({ kind: 'parallel', src: '/d/train.en', tgt: '/d/train.fr' }), 'train.en-fr');
    assert.equal(templateStem({ kind: 'parallel', src: '/d/a.txt', tgt: '/d/b.txt' }), 'a-b');
  });

  it('writes data paths relative to the config with / separators', () => {
    const cfg = createConfigTemplate({ kind: 'tsv', file: path.join(tmp, 'data', 'pairs.tsv') }, tmp) as {
      name: string; data: { train: string; srcColumn: number }; model: object; train: object;
    };
    assert.equal(cfg.name, 'pairs');
    assert.equal(cfg.data.train, 'data/pairs.tsv');
    assert.equal(cfg.data.srcColumn, 0);
    const par = createConfigTemplate({ kind: 'parallel', src: path.join(tmp, 'x.en'), tgt: path.join(tmp, 'x.fr') }, path.join(tmp, 'cfg')) as {
      data: Record<string, unknown>;
    };
    assert.deepEqual(par.data.train, { src: '../x.en', tgt: '../x.fr' });
    assert.ok(!('srcColumn' in par.data));
  });

  it('carries no $schema and no absolute path of this machine (the extension applies its schema to *.seq2seq.json)', () => {
    const text = renderConfigTemplate({ kind: 'tsv', file: path.join(tmp, 'data', 'pairs.tsv') }, tmp);
    assert.ok(!text.includes('$schema'), text);
    assert.ok(!text.includes(tmp), 'the config folder path is not in the file');
    assert.ok(!/"(\/|[A-Za-z]:\\)/.test(text), 'no absolute path value');
  });

  it('produces configs the config loader accepts, with paths resolving to the data', async () => {
    const data = path.join(tmp, 'pairs.tsv');
    fs.writeFileSync(data, 'hello\tbonjour\n');
    const cfgDir = path.join(tmp, 'configs');
    fs.mkdirSync(cfgDir);
    const cfgFile = path.join(cfgDir, 'pairs.seq2seq.json');
    fs.writeFileSync(cfgFile, renderConfigTemplate({ kind: 'tsv', file: data }, cfgDir));
    const { config } = await loadConfig(cfgFile);
    assert.equal(config.data.train, data);
    assert.equal(config.name, 'pairs');

    const par = path.join(cfgDir, 'par.seq2seq.json');
    fs.writeFileSync(par, renderConfigTemplate({ kind: 'parallel', src: path.join(tmp, 'a.en'), tgt: path.join(tmp, 'a.fr') }, cfgDir));
    const loaded = await loadConfig(par);
    assert.deepEqual(loaded.config.data.train, { src: path.join(tmp, 'a.en'), tgt: path.join(tmp, 'a.fr') });
  });
});

describe('host: panel HTML', () => {
  it('allows only nonce scripts and resources from the webview origin', () => {
    const html = renderPanelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123', scriptUri: 'https://x/t.js', styleUri: 'https://x/t.css' });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'/);
    assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net/);
    assert.ok(!csp.includes('unsafe'));
    assert.match(html, /<script nonce="abc123" src="https:\/\/x\/t\.js"><\/script>/);
    assert.equal((html.match(/<script(?! type="application\/json")/g) ?? []).length, 1, 'one executable script (the other is the l10n data block)');
  });
});
