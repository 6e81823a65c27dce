import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import {
  chooseActiveModel,
  configSummary,
  isUsable,
  listRuns,
  parseMetricsJsonl,
  runDescription,
  runsFolderPath,
  runTooltip,
  type RunEntry,
} from '../src/host/logic/modelsList';

/** Write a fake run folder: run.json (+ checkpoint manifests). No weights are needed for listing. */
async function fakeRun(
  runsDir: string,
  folder: string,
  o: { name?: string; created?: string; best?: { step: number; bleu?: number }; last?: boolean; manifest?: string; attention?: string },
): Promise<string> {
  const dir = path.join(runsDir, folder);
  await fs.mkdir(dir, { recursive: true });
  const config = withDefaults({ name: o.name, data: { train: '/data/x.tsv' }, model: { hiddenSize: 64, attention: (o.attention ?? 'bahdanau') as 'bahdanau' } });
  const manifest =
    o.manifest ??
    JSON.stringify({ format: 'seq2seq-lab/run@1', config, configPath: '/cfg/x.seq2seq.json', backend: 'wasm', created: o.created ?? '2025-01-01T10:00:00.000Z' });
  await fs.writeFile(path.join(dir, 'run.json'), manifest);
  if (o.best) {
    await fs.mkdir(path.join(dir, 'best'));
    const meta = { kind: 'best', step: o.best.step, epoch: 1, time: '', valid: o.best.bleu === undefined ? undefined : { bleu: o.best.bleu, perplexity: 3, loss: 1 } };
    await fs.writeFile(path.join(dir, 'best', 'weights.json'), JSON.stringify({ meta, arrays: [] }));
  }
  if (o.last) {
    await fs.mkdir(path.join(dir, 'last'));
    await fs.writeFile(path.join(dir, 'last', 'weights.json'), JSON.stringify({ meta: { kind: 'last', step: 9 }, arrays: [] }));
  }
  return dir;
}

describe('Models: listing runs and choosing the active model', () => {
  let tmp: string;
  let runsDir: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-models-'));
    runsDir = path.join(tmp, 'runs');
    await fakeRun(runsDir, 'fra-eng-20250101-100000', { name: 'fra-eng', created: '2025-01-01T10:00:00Z', best: { step: 500, bleu: 21.5 }, last: true });
    await fakeRun(runsDir, 'fra-eng-20250103-100000', { name: 'fra-eng', created: '2025-01-03T10:00:00Z', last: true });
    await fakeRun(runsDir, 'dates-20250102-100000', { created: '2025-01-02T10:00:00Z', best: { step: 40 }, attention: 'none' });
    await fakeRun(runsDir, 'broken', { manifest: '{"format": "seq2seq-lab/run@1", "config": ', last: true });
    await fs.mkdir(path.join(runsDir, 'not-a-run', 'best'), { recursive: true });
    await fs.writeFile(path.join(runsDir, 'stray.txt'), 'x');
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('lists folders with a run.json, newest first, with name, backend, checkpoints and best BLEU', async () => {
    const runs = await listRuns(runsDir);
    const byFolder = Object.fromEntries(runs.map((r) => [r.folder, r]));
    assert.deepEqual(
      runs.filter((r) => !r.problem).map((r) => r.folder),
      ['fra-eng-20250103-100000', 'dates-20250102-100000', 'fra-eng-20250101-100000'],
    );
    assert.ok(!('not-a-run' in byFolder));
    const first = byFolder['fra-eng-20250101-100000'];
    assert.equal(first.name, 'fra-eng');
    assert.equal(first.backend, 'wasm');
    assert.equal(first.bestBleu, 21.5);
    assert.equal(first.bestStep, 500);
    assert.ok(first.hasBest && first.hasLast);
    assert.equal(first.configPath, '/cfg/x.seq2seq.json');
    // No config name: the folder name.
    assert.equal(byFolder['dates-20250102-100000'].name, 'dates-20250102-100000');
    assert.equal(byFolder['dates-20250102-100000'].bestBleu, undefined);
  });

  it('a malformed run.json is listed with a problem naming the file, and is not usable', async () => {
    const broken = (await listRuns(runsDir)).find((r) => r.folder === 'broken')!;
    assert.match(broken.problem!, /broken[\\/]run\.json: /);
    assert.equal(isUsable(broken), false);
    assert.match(runDescription(broken), /unreadable run\.json/);
  });

  it('a missing runs folder is an empty list', async () => {
    assert.deepEqual(await listRuns(path.join(tmp, 'nope')), []);
  });

  it('default active model: the most recent run with best/, not a newer run with only last/', async () => {
    const runs = await listRuns(runsDir);
    assert.equal(chooseActiveModel(runs)?.folder, 'dates-20250102-100000');
  });

  it('a remembered model wins while usable; a deleted or broken one falls back to the default', async () => {
    const runs = await listRuns(runsDir);
    assert.equal(chooseActiveModel(runs, path.join(runsDir, 'fra-eng-20250101-100000'))?.folder, 'fra-eng-20250101-100000');
    assert.equal(chooseActiveModel(runs, path.join(runsDir, 'fra-eng-20250103-100000') + path.sep)?.folder, 'fra-eng-20250103-100000');
    assert.equal(chooseActiveModel(runs, path.join(runsDir, 'gone'))?.folder, 'dates-20250102-100000');
    assert.equal(chooseActiveModel(runs, path.join(runsDir, 'broken'))?.folder, 'dates-20250102-100000');
  });

  it('no best/ anywhere → most recent with last/; nothing → undefined', () => {
    const mk = (folder: string, created: number, o: Partial<RunEntry> = {}): RunEntry => ({ runDir: `/r/${folder}`, folder, name: folder, created, hasBest: false, hasLast: false, ...o });
    assert.equal(chooseActiveModel([mk('a', 1, { hasLast: true }), mk('b', 2, { hasLast: true })])?.folder, 'b');
    assert.equal(chooseActiveModel([mk('a', 1), mk('b', 2, { problem: 'x', hasBest: true })]), undefined);
    assert.equal(chooseActiveModel([]), undefined);
  });

  it('runs folder: relative to the workspace folder, or absolute; blank → runs', () => {
    assert.equal(runsFolderPath('/ws', 'runs'), path.resolve('/ws/runs'));
    assert.equal(runsFolderPath('/ws', 'out/models'), path.resolve('/ws/out/models'));
    assert.equal(runsFolderPath('/ws', '/abs/runs'), path.resolve('/abs/runs'));
    assert.equal(runsFolderPath('/ws', '  '), path.resolve('/ws/runs'));
  });

  it('description and tooltip: BLEU, backend, date; config summary and checkpoint', async () => {
    const runs = await listRuns(runsDir);
    const r = runs.find((x) => x.folder === 'fra-eng-20250101-100000')!;
    assert.match(runDescription(r), /^BLEU 21\.5 · wasm · 2025-01-0[12] \d\d:\d\d$/);
    const onlyLast = runs.find((x) => x.folder === 'fra-eng-20250103-100000')!;
    assert.match(runDescription(onlyLast), /^no best checkpoint · wasm/);
    const tip = runTooltip(r);
    assert.match(tip, /GRU 1×64 bi · bahdanau attention · emb \d+/);
    assert.match(tip, /best checkpoint at step 500 \(BLEU 21\.50\)/);
    assert.equal(configSummary(runs.find((x) => x.folder.startsWith('dates'))!.config!).includes('no attention'), true);
  });

  it('metrics.jsonl: events in order, bad or truncated lines skipped and reported by line number', () => {
    const text = ['{"type":"started","runDir":"/r"}', '', 'not json', '{"type":"progress","step":1}', '42', '{"type":"done","reas'].join('\n');
    const { events, badLines } = parseMetricsJsonl(text);
    assert.deepEqual(events.map((e) => e.type), ['started', 'progress']);
    assert.deepEqual(badLines, [3, 5, 6]);
  });
});
