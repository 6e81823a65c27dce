/**
 * What the Compare Runs view computes (src/shared/compareRuns.ts) and how the
 * host reads a run for it (src/host/logic/compareData.ts): curves, differing
 * hyper-parameters, scores, sort order; a missing or broken run folder.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import type { ProgressEvent, ValidationEvent } from '../src/core/training/events';
import { compareEvents, readCompareRun } from '../src/host/logic/compareData';
import type { CompareEvent } from '../src/protocol/compareRuns';
import { resolveCompareArgs } from '../src/host/logic/compareArgs';
import { compareCells, flattenConfig, parameterKeys, runCurves, runScores, sortOrder } from '../src/shared/compareRuns';

const progress = (step: number, loss: number, elapsedSeconds: number, tokensPerSecond = 1000): ProgressEvent => ({
  type: 'progress',
  backend: 'cpu',
  step,
  epoch: 1,
  loss,
  perplexity: Math.exp(loss),
  tokensPerSecond,
  etaSeconds: 0,
  learningRate: 0.01,
  elapsedSeconds,
});
const validation = (step: number, perplexity: number, bleu: number, elapsedSeconds: number): ValidationEvent => ({
  type: 'validation',
  backend: 'cpu',
  step,
  epoch: 1,
  loss: Math.log(perplexity),
  perplexity,
  bleu,
  samples: [{ source: 'a b', reference: 'b a', hypothesis: 'b a' }],
  isBest: true,
  learningRate: 0.01,
  elapsedSeconds,
});

describe('Compare Runs: curves and scores', () => {
  it('runCurves: loss from progress, perplexity and BLEU from validations, against step and seconds', () => {
    const c = runCurves([progress(5, 3, 1), progress(10, 2.5, 2), validation(10, 9, 4.5, 2.5), progress(15, 2, 3), validation(20, 6, 12, 4)]);
    assert.deepEqual(c.loss, { steps: [5, 10, 15], seconds: [1, 2, 3], values: [3, 2.5, 2] });
    assert.deepEqual(c.perplexity, { steps: [10, 20], seconds: [2.5, 4], values: [9, 6] });
    assert.deepEqual(c.bleu, { steps: [10, 20], seconds: [2.5, 4], values: [4.5, 12] });
  });

  it('runCurves: a resumed run (steps repeated after the checkpoint) keeps the later values; non-finite values are gaps', () => {
    const c = runCurves([progress(5, 3, 1), progress(10, 2.5, 2), progress(15, 2.2, 3), progress(10, 2.4, 2.1), progress(15, NaN, 3.1), validation(10, 0, NaN, 2)]);
    assert.deepEqual(c.loss.steps, [5, 10, 15]);
    assert.deepEqual(c.loss.values, [3, 2.4, null]);
    assert.deepEqual(c.loss.seconds, [1, 2.1, 3.1]);
    assert.deepEqual(c.perplexity.values, [null], 'perplexity 0 cannot be drawn on the log axis');
    assert.deepEqual(c.bleu.values, [null]);
  });

  it('runScores: best BLEU, lowest perplexity, last step, training time, mean tokens/s', () => {
    const s = runScores([progress(5, 3, 1, 800), validation(10, 9, 4.5, 2.5), progress(15, 2, 3, 1200), validation(20, 6, 3, 4), { type: 'done', reason: 'epochs', backend: 'cpu', step: 20, epoch: 2, elapsedSeconds: 4.2, bestBleu: 4.5, bestPerplexity: 9, runDir: '/r' }]);
    assert.deepEqual(s, { bestBleu: 4.5, lowestPerplexity: 6, steps: 20, seconds: 4.2, tokensPerSecond: 1000 });
    assert.deepEqual(runScores([]), {});
    assert.deepEqual(runScores([progress(3, 1, 1, NaN)]), { steps: 3, seconds: 1 }, 'no throughput recorded: none shown');
  });
});

describe('Compare Runs: hyper-parameters', () => {
  const a = withDefaults({ name: 'a', data: { train: 'x.tsv' }, model: { attention: 'bahdanau' } });
  const b = withDefaults({ name: 'b', data: { train: 'x.tsv' }, model: { attention: 'none' } });

  it('flattenConfig: dotted keys, nested objects flattened, arrays as JSON', () => {
    const f = flattenConfig({ name: 'n', model: { cell: 'gru', hiddenSize: 32 }, data: { train: { src: 's.txt', tgt: 't.txt' }, list: [1, 2] }, skip: undefined });
    assert.deepEqual(f, { name: 'n', 'model.cell': 'gru', 'model.hiddenSize': 32, 'data.train.src': 's.txt', 'data.train.tgt': 't.txt', 'data.list': '[1,2]' });
    assert.deepEqual(flattenConfig(null), {});
  });

  it('parameterKeys: only the keys that differ (not the name), or all of them; model, train, data order', () => {
    const fa = flattenConfig(a);
    const fb = flattenConfig(b);
    assert.deepEqual(parameterKeys([fa, fb], false), ['model.attention']);
    const all = parameterKeys([fa, fb], true);
    assert.ok(all.length > 30 && !all.includes('name'), `${all.length} keys`);
    assert.ok(all.indexOf('model.attention') < all.indexOf('train.batchSize') && all.indexOf('train.batchSize') < all.indexOf('data.tokenizer'));
    // A key one config lacks differs; a run without a config is left out of the comparison.
    assert.deepEqual(parameterKeys([{ 'train.x': 1 }, { 'train.x': 1, 'train.y': 2 }, undefined], false), ['train.y']);
    assert.deepEqual(parameterKeys([fa, fa], false), []);
  });
});

describe('Compare Runs: table sorting', () => {
  it('compareCells: numbers numerically, strings naturally, missing values last both ways', () => {
    assert.ok(compareCells(2, 10, 'asc') < 0);
    assert.ok(compareCells(2, 10, 'desc') > 0);
    assert.ok(compareCells('run-2', 'run-10', 'asc') < 0, 'numeric parts as numbers');
    for (const dir of ['asc', 'desc'] as const) {
      assert.ok(compareCells(undefined, 1, dir) > 0, `missing last (${dir})`);
      assert.ok(compareCells(NaN, 'x', dir) > 0);
      assert.equal(compareCells(null, undefined, dir), 0);
    }
    assert.ok(compareCells(false, true, 'asc') < 0);
  });

  it('sortOrder: indices in column order, stable for equal cells', () => {
    const rows = [{ bleu: 4.5, name: 'b' }, { bleu: 12, name: 'a' }, { bleu: undefined, name: 'c' }, { bleu: 4.5, name: 'd' }];
    assert.deepEqual(sortOrder(rows, 'bleu', 'asc'), [0, 3, 1, 2]);
    assert.deepEqual(sortOrder(rows, 'bleu', 'desc'), [1, 0, 3, 2]);
    assert.deepEqual(sortOrder(rows, 'name', 'asc'), [1, 0, 2, 3]);
  });
});

describe('readCompareRun (host: a run folder for the view)', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 's2s-compare-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function writeRun(folder: string, lines: string[] | undefined, manifest?: string): Promise<string> {
    const runDir = path.join(dir, folder);
    await fs.mkdir(runDir, { recursive: true });
    const config = withDefaults({ name: 'tiny', data: { train: 'x.tsv' }, model: { hiddenSize: 32 } });
    await fs.writeFile(path.join(runDir, 'run.json'), manifest ?? JSON.stringify({ format: 'seq2seq-lab/run@1', config, created: '2025-01-01T00:00:00Z' }));
    if (lines) await fs.writeFile(path.join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    return runDir;
  }

  it('reads name, config, model summary and the charted events (validation samples dropped)', async () => {
    const runDir = await writeRun('ok', [JSON.stringify(progress(5, 3, 1)), JSON.stringify(validation(5, 9, 4, 1)), JSON.stringify({ type: 'checkpoint', kind: 'last', step: 5, path: '/x' })]);
    const run = await readCompareRun(runDir, true);
    assert.equal(run.name, 'tiny');
    assert.equal(run.folder, 'ok');
    assert.equal(run.running, true);
    assert.match(run.model ?? '', /^GRU 1×32/);
    assert.equal(run.config?.model.hiddenSize, 32);
    assert.deepEqual(run.events.map((e) => e.type), ['progress', 'validation']);
    assert.deepEqual((run.events[1] as ValidationEvent).samples, []);
    assert.equal(run.problem, undefined);
  });

  it('a folder that is gone, not a run, without metrics.jsonl or with bad lines: a problem saying so', async () => {
    const gone = await readCompareRun(path.join(dir, 'nope'));
    assert.match(gone.problem ?? '', /The run folder .*nope no longer exists\./);
    assert.equal(gone.name, 'nope');
    await fs.mkdir(path.join(dir, 'plain'));
    assert.match((await readCompareRun(path.join(dir, 'plain'))).problem ?? '', /plain is not a run folder: it has no run.json\./);
    assert.match((await readCompareRun(await writeRun('fresh', undefined))).problem ?? '', /fresh has no metrics\.jsonl yet\./);
    const bad = await readCompareRun(await writeRun('bad', [JSON.stringify(progress(5, 3, 1)), '{"type": "progr', JSON.stringify(progress(10, 2, 2))]));
    assert.match(bad.problem ?? '', /metrics\.jsonl: skipped unreadable lines 2$/);
    assert.equal(bad.events.length, 2);
    const broken = await readCompareRun(await writeRun('broken', [], '{ not json'));
    assert.match(broken.problem ?? '', /run\.json/);
  });

  it('while a run trains, a cut last line is not reported', async () => {
    const runDir = await writeRun('live', []);
    await fs.writeFile(path.join(runDir, 'metrics.jsonl'), JSON.stringify(progress(5, 3, 1)) + '\n{"type":"prog');
    assert.equal((await readCompareRun(runDir, true)).problem, undefined);
    assert.match((await readCompareRun(runDir, false)).problem ?? '', /skipped unreadable lines 2/);
  });

  it('compareEvents keeps started, progress, validation and done only', () => {
    const kept = compareEvents([
      { type: 'log', level: 'info', message: 'x' },
      progress(1, 1, 1),
      { type: 'checkpoint', kind: 'best', step: 1, path: '/p' },
    ]) as CompareEvent[];
    assert.deepEqual(kept.map((e) => e.type), ['progress']);
  });
});

describe('resolveCompareArgs (seq2seq.compareRuns arguments)', () => {
  const item = (runDir: string) => ({ run: { runDir } });
  const isItem = (v: unknown): v is { run: { runDir: string } } => typeof v === 'object' && v !== null && 'run' in v;

  it('run folders given by another command: exactly those', () => {
    assert.deepEqual(resolveCompareArgs(['/w/runs/a', '/w/runs/b'], undefined, isItem), { dirs: ['/w/runs/a', '/w/runs/b'] });
    assert.deepEqual(resolveCompareArgs('/w/runs/a', undefined, isItem), { dirs: ['/w/runs/a'] });
  });

  it('from the Models tree: the multi-selection, or a pick with the clicked run ticked', () => {
    const [a, b] = [item('/a'), item('/b')];
    assert.deepEqual(resolveCompareArgs(b, [a, b], isItem), { dirs: ['/a', '/b'] });
    assert.deepEqual(resolveCompareArgs(a, [a], isItem), { preselect: ['/a'] });
    // Right-click on an item outside the selection: VS Code passes that item alone.
    assert.deepEqual(resolveCompareArgs(item('/c'), [a, b], isItem), { preselect: ['/c'] });
  });

  it('from the palette, or with arguments that name no run: the pick', () => {
    for (const bad of [undefined, [], [1, 2], [''], {}, 42]) assert.deepEqual(resolveCompareArgs(bad, undefined, isItem), { preselect: [] });
  });
});
