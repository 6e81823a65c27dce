/**
 * Interrupted runs (src/host/logic/interruptedRuns.ts): a run folder with a
 * last/ checkpoint, a metrics.jsonl without a final `done` and no live lock
 * holder; and the RunStore continuing a recorded run on Resume.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TrainingEvent } from '../src/core/training/events';
import { lastCheckpointStep, readInterruption, readTailEvents, unfinishedAt } from '../src/host/logic/interruptedRuns';
import { listRuns } from '../src/host/logic/modelsList';
import { RunStore } from '../src/host/logic/runStore';
import { statusText } from '../src/shared/format';

const started = (startStep = 0): TrainingEvent =>
  ({ type: 'started', runDir: '/r', backend: 'wasm', parameters: 1, trainPairs: 1, validPairs: 1, testPairs: 0, srcVocabSize: 5, tgtVocabSize: 5, stepsPerEpoch: 10, totalSteps: 100, startStep, time: '' }) as TrainingEvent;
const progress = (step: number): TrainingEvent =>
  ({ type: 'progress', backend: 'wasm', step, epoch: 1, loss: 1 / step, perplexity: 1, tokensPerSecond: 1, etaSeconds: 1, learningRate: 0.01, elapsedSeconds: step }) as TrainingEvent;
const validation = (step: number): TrainingEvent =>
  ({ type: 'validation', backend: 'wasm', step, epoch: 1, loss: 1, perplexity: 2, bleu: step, samples: [], isBest: true, learningRate: 0.01, elapsedSeconds: step }) as TrainingEvent;
const checkpoint = (step: number, kind: 'last' | 'best' = 'last'): TrainingEvent => ({ type: 'checkpoint', kind, step, path: `/r/${kind}` });
const done = (step: number): TrainingEvent =>
  ({ type: 'done', reason: 'epochs', backend: 'wasm', step, epoch: 10, elapsedSeconds: 9, bestBleu: 1, bestPerplexity: 2, runDir: '/r' }) as TrainingEvent;

/** The events of a run that validated (and wrote last/) every 20 steps and was killed after step 46. */
function killedRun(): TrainingEvent[] {
  const events: TrainingEvent[] = [started()];
  for (let s = 2; s <= 46; s += 2) {
    events.push(progress(s));
    if (s % 20 === 0) events.push(validation(s), checkpoint(s, 'best'), checkpoint(s));
  }
  return events;
}

describe('host: interrupted runs', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-interrupted-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A run folder as train() leaves it: run.json, last/weights.json (meta.step), metrics.jsonl, maybe a lock. */
  function runFolder(name: string, events: TrainingEvent[], opts: { lastStep?: number; lock?: object } = {}): string {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({ format: 'seq2seq-lab/run@2', config: { name, data: {}, model: {}, train: {} }, created: new Date(Date.now() - 1000 * name.length).toISOString() }),
    );
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join(''));
    if (opts.lastStep !== undefined) {
      fs.mkdirSync(path.join(dir, 'last'));
      fs.writeFileSync(path.join(dir, 'last', 'weights.json'), JSON.stringify({ meta: { kind: 'last', step: opts.lastStep, epoch: 1, time: '' } }));
    }
    if (opts.lock) fs.writeFileSync(path.join(dir, 'train.lock'), JSON.stringify(opts.lock));
    return dir;
  }

  /** A pid that existed and is gone now. */
  function deadPid(): number {
    return Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).trim());
  }

  it('unfinishedAt: the last step of a run whose events do not end with done', () => {
    assert.deepEqual(unfinishedAt(killedRun()), { step: 46 });
    assert.equal(unfinishedAt([...killedRun(), done(46)]), undefined);
    assert.equal(unfinishedAt([]), undefined);
    // A resumed run that was killed again before its first progress report: the step it resumed from.
    assert.deepEqual(unfinishedAt([...killedRun().slice(0, 5), started(20)]), { step: 20 });
  });

  it('readTailEvents reads complete lines from the end (a torn last line and the cut first one are skipped)', async () => {
    const file = path.join(root, 'm.jsonl');
    const events = killedRun();
    fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"progr');
    const all = await readTailEvents(file);
    assert.deepEqual(all, events);
    const tail = await readTailEvents(file, 500);
    assert.ok(tail.length > 0 && tail.length < events.length);
    assert.deepEqual(tail, events.slice(events.length - tail.length));
  });

  it('a killed run (no done, last/ kept, lock of a process that is gone) is interrupted at its last step', async () => {
    const dir = runFolder('killed', killedRun(), { lastStep: 40, lock: { pid: deadPid(), host: os.hostname(), threadId: 1, started: new Date().toISOString() } });
    assert.equal(await lastCheckpointStep(dir), 40);
    assert.deepEqual(await readInterruption(dir), { step: 46, checkpointStep: 40 });
  });

  it('is not interrupted while a live training (e.g. the CLI) holds its lock', async () => {
    const dir = runFolder('live', killedRun(), { lastStep: 40, lock: { pid: process.pid, host: os.hostname(), threadId: 0, started: new Date().toISOString() } });
    assert.equal(await readInterruption(dir), undefined);
    // A holder on another machine (a shared folder) is never presumed gone.
    const other = runFolder('other', killedRun(), { lastStep: 40, lock: { pid: deadPid(), host: `not-${os.hostname()}`, threadId: 0, started: new Date().toISOString() } });
    assert.equal(await readInterruption(other), undefined);
  });

  it('a finished run, and a run without a last/ checkpoint, are not interrupted', async () => {
    assert.equal(await readInterruption(runFolder('finished', [...killedRun(), done(46)], { lastStep: 46 })), undefined);
    assert.equal(await readInterruption(runFolder('nockpt', [started(), progress(2)])), undefined);
  });

  it('listRuns marks interrupted runs (newest first), so the most recent one is found', async () => {
    runFolder('a', [...killedRun(), done(46)], { lastStep: 46 });
    runFolder('bb', killedRun(), { lastStep: 40 });
    runFolder('ccc', killedRun().slice(0, 15), { lastStep: 20 });
    const runs = await listRuns(root);
    assert.deepEqual(runs.map((r) => [r.folder, r.interrupted]), [
      ['a', undefined],
      ['bb', { step: 46, checkpointStep: 40 }],
      ['ccc', { step: 22, checkpointStep: 20 }],
    ]);
    assert.equal(runs.find((r) => r.interrupted)?.folder, 'bb');
  });

  it('status bar texts for an interrupted run and a failure at a step', () => {
    assert.equal(statusText({ phase: 'interrupted', name: 'long', step: 46 }), '$(debug-pause) Seq2Seq: long interrupted at step 46');
    assert.equal(statusText({ phase: 'failed', step: 30 }), '$(error) Seq2Seq: training failed at step 30');
  });
});

describe('host: RunStore resume', () => {
  const run = { name: 'long', runDir: '/r', configPath: '/c.json' };

  it('shows a recorded interrupted run as interrupted, with where to resume', () => {
    const s = new RunStore();
    s.begin(run);
    for (const e of killedRun()) s.append(e);
    s.interrupt({ step: 46, checkpointStep: 40 });
    assert.equal(s.state, 'interrupted');
    assert.equal(s.running, false);
    const r = s.replay();
    assert.deepEqual(r.interrupted, { step: 46, checkpointStep: 40 });
    assert.equal(r.running, false);
    assert.equal(r.events.length, killedRun().length);
  });

  it('resume keeps the curves up to the checkpoint resumed from, and new events continue them', () => {
    const s = new RunStore();
    s.begin(run);
    const recorded = killedRun();
    for (const e of recorded) s.append(e);
    s.fail('worker died', { step: 46, checkpointStep: 40 });
    assert.equal(s.state, 'failed');
    s.resume(40);
    assert.equal(s.state, 'running');
    assert.equal(s.failure, undefined);
    assert.equal(s.resumable, undefined);
    const kept = s.events;
    // Everything up to and including the last/ checkpoint at step 40; steps 42–46 are trained again.
    const cut = recorded.findIndex((e) => e.type === 'checkpoint' && e.kind === 'last' && e.step === 40);
    assert.deepEqual(kept, recorded.slice(0, cut + 1));
    assert.equal(s.lastProgress?.type === 'progress' && s.lastProgress.step, 40);
    assert.equal(s.lastValidation?.step, 40);
    // The resumed worker's events append.
    s.append(started(40));
    s.append(progress(42));
    s.append(progress(44));
    const r = s.replay();
    assert.equal(r.running, true);
    assert.equal(r.interrupted, undefined);
    const steps = r.events.filter((e) => e.type === 'progress').map((e) => (e as { step: number }).step);
    assert.deepEqual(steps, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44]);
    assert.equal(r.events.filter((e) => e.type === 'started').length, 2);
  });

  it('resume without the checkpoint event keeps the events up to its step', () => {
    const s = new RunStore();
    s.begin(run);
    for (const e of killedRun().filter((e) => e.type !== 'checkpoint')) s.append(e);
    s.interrupt({ step: 46, checkpointStep: 40 });
    s.resume(40);
    const steps = s.events.map((e) => ('step' in e ? e.step : e.type));
    assert.equal(Math.max(...steps.filter((x): x is number => typeof x === 'number')), 40);
    assert.equal(s.events[0].type, 'started');
  });

  it('a new run (begin) forgets the interruption', () => {
    const s = new RunStore();
    s.begin(run);
    s.append(progress(2));
    s.interrupt({ step: 2, checkpointStep: 2 });
    s.begin({ ...run, runDir: '/r2' });
    assert.equal(s.state, 'running');
    assert.equal(s.resumable, undefined);
  });
});
