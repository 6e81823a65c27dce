import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TrainingEvent } from '../src/core/training/events';
import { withDefaults } from '../src/core/config/config';
import type { StartRequest } from '../src/protocol/worker';
import { TrainingSession, type SessionOutcome } from '../src/host/trainingSession';

/** Fake workers speaking src/protocol/worker.ts (plain CommonJS, run by worker_threads). */
const WORKERS: Record<string, string> = {
  normal: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', (m) => {
      if (m.type !== 'start') return;
      parentPort.postMessage({ type: 'event', event: { type: 'log', level: 'info', message: 'backend=' + (process.env.SEQ2SEQ_BACKEND || 'unset') + ' out=' + m.outDir } });
      for (let step = 1; step <= 3; step++) parentPort.postMessage({ type: 'event', event: { type: 'progress', step } });
      parentPort.postMessage({ type: 'event', event: { type: 'done', reason: 'epochs', step: 3 } });
      setInterval(() => {}, 1000); // stays alive: the host must terminate it
    });`,
  error: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', (m) => {
      if (m.type === 'start') parentPort.postMessage({ type: 'error', message: 'data.train: file not found', detail: 'stack…' });
      setInterval(() => {}, 1000);
    });`,
  crash: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', () => { throw new Error('kaboom'); });`,
  exit: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', () => process.exit(3));`,
  hog: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', (m) => {
      if (m.type !== 'start') return;
      parentPort.postMessage({ type: 'event', event: { type: 'progress', step: 1 } });
      const keep = [];
      // Grows the heap until V8 stops the worker at its limit (resourceLimits).
      const grow = () => { for (let i = 0; i < 2000; i++) keep.push(new Array(1000).fill(i)); setImmediate(grow); };
      grow();
    });`,
  cancellable: `
    const { parentPort } = require('worker_threads');
    let step = 0, timer;
    parentPort.on('message', (m) => {
      if (m.type === 'start') timer = setInterval(() => parentPort.postMessage({ type: 'event', event: { type: 'progress', step: ++step } }), 5);
      if (m.type === 'cancel') { clearInterval(timer); parentPort.postMessage({ type: 'event', event: { type: 'done', reason: 'cancelled', step } }); }
    });`,
  locking: `
    const { parentPort, threadId } = require('worker_threads');
    const fs = require('fs'), os = require('os'), path = require('path');
    parentPort.on('message', (m) => {
      if (m.type !== 'start') return;
      fs.mkdirSync(m.outDir, { recursive: true });
      // What train() writes (src/core/runs/runLock.ts); a terminated worker never releases it.
      fs.writeFileSync(path.join(m.outDir, 'train.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), threadId, started: new Date().toISOString() }));
      parentPort.postMessage({ type: 'event', event: { type: 'log', level: 'info', message: 'locked' } });
      setInterval(() => {}, 1000); // ignores cancel
    });`,
  stubborn: `
    const { parentPort } = require('worker_threads');
    parentPort.on('message', (m) => {
      if (m.type === 'start') parentPort.postMessage({ type: 'event', event: { type: 'log', level: 'info', message: 'started' } });
      setInterval(() => {}, 1000); // ignores cancel
    });`,
};

const request: StartRequest = { type: 'start', config: withDefaults({ data: { train: '/tmp/x.tsv' } }), outDir: '/tmp/run-x', resume: false };

describe('host: TrainingSession (worker_threads)', function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-session-'));
    for (const [name, code] of Object.entries(WORKERS)) fs.writeFileSync(path.join(dir, `${name}.js`), code);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Run a session to its end; returns forwarded events, outcomes (must be exactly one) and the session. */
  function run(worker: string, opts: { env?: Record<string, string>; cancelAfterEvents?: number; cancelGraceMs?: number; outDir?: string; maxMemoryMb?: number } = {}) {
    const events: TrainingEvent[] = [];
    const outcomes: SessionOutcome[] = [];
    return new Promise<{ events: TrainingEvent[]; outcomes: SessionOutcome[]; session: TrainingSession }>((resolve) => {
      const session: TrainingSession = new TrainingSession(
        { workerPath: path.join(dir, `${worker}.js`), env: opts.env, cancelGraceMs: opts.cancelGraceMs, maxMemoryMb: opts.maxMemoryMb },
        {
          onEvent: (e) => {
            events.push(e);
            if (opts.cancelAfterEvents !== undefined && events.length === opts.cancelAfterEvents) void session.cancel();
          },
          onEnded: (o) => {
            outcomes.push(o);
            // Let any late (buggy) second call arrive before resolving.
            setTimeout(() => resolve({ events, outcomes, session }), 50);
          },
        },
      );
      session.start(opts.outDir ? { ...request, outDir: opts.outDir } : request);
    });
  }

  it('forwards events in order, passes env, and ends finished on done', async () => {
    const { events, outcomes, session } = await run('normal', { env: { SEQ2SEQ_BACKEND: 'cpu' } });
    assert.deepEqual(events.map((e) => e.type), ['log', 'progress', 'progress', 'progress', 'done']);
    assert.equal((events[0] as { message: string }).message, 'backend=cpu out=/tmp/run-x');
    assert.deepEqual(events.slice(1, 4).map((e) => (e as { step: number }).step), [1, 2, 3]);
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].kind, 'finished');
    assert.equal(session.active, false);
  });

  it('reports a worker error message as failed', async () => {
    const { outcomes } = await run('error');
    assert.deepEqual(outcomes, [{ kind: 'failed', message: 'data.train: file not found', detail: 'stack…' }]);
  });

  it('reports a crashing worker as failed', async () => {
    const { outcomes } = await run('crash');
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].kind, 'failed');
    assert.match((outcomes[0] as { message: string }).message, /crashed: kaboom/);
    assert.deepEqual((outcomes[0] as { death?: unknown }).death, { kind: 'crash', error: 'kaboom' });
  });

  it('reports a worker that exits without done as failed', async () => {
    const { outcomes } = await run('exit');
    assert.equal(outcomes.length, 1);
    assert.match((outcomes[0] as { message: string }).message, /exit code 3/);
    assert.deepEqual((outcomes[0] as { death?: unknown }).death, { kind: 'exit', code: 3 });
  });

  it('reports a worker stopped at its heap limit (maxMemoryMb) as out of memory', async () => {
    const { events, outcomes } = await run('hog', { maxMemoryMb: 24 });
    assert.equal(events.length, 1);
    assert.equal(outcomes.length, 1);
    const o = outcomes[0] as { kind: string; message: string; death?: unknown };
    assert.equal(o.kind, 'failed');
    assert.equal(o.message, 'Training worker ran out of memory (heap limit 24 MB).');
    assert.deepEqual(o.death, { kind: 'outOfMemory', limitMb: 24 });
  });

  it('reports a missing worker script as failed', async () => {
    const { outcomes } = await run('does-not-exist');
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].kind, 'failed');
    assert.match((outcomes[0] as { message: string }).message, /worker is missing .*npm run build/);
  });

  it('stops when the worker acknowledges cancel with done(cancelled)', async () => {
    const { events, outcomes } = await run('cancellable', { cancelAfterEvents: 3 });
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].kind, 'stopped');
    assert.equal((outcomes[0] as { done?: { reason: string } }).done?.reason, 'cancelled');
    assert.equal(events[events.length - 1].type, 'done');
  });

  it('terminates a worker that ignores cancel after the grace period', async () => {
    const { outcomes, session } = await run('stubborn', { cancelAfterEvents: 1, cancelGraceMs: 100 });
    assert.deepEqual(outcomes, [{ kind: 'stopped' }]);
    assert.equal(session.active, false);
    // Cancelling an ended session is a no-op.
    await session.cancel();
  });

  it("removes the run folder's lock of a worker it had to terminate", async () => {
    const outDir = path.join(dir, 'locked-run');
    const other = path.join(dir, 'other-run');
    fs.mkdirSync(other);
    // A lock of another thread of this process (another training) is left alone.
    fs.writeFileSync(path.join(other, 'train.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), threadId: 999, started: 'x' }));
    const { events, outcomes } = await run('locking', { cancelAfterEvents: 1, cancelGraceMs: 100, outDir });
    assert.equal((events[0] as { message: string }).message, 'locked');
    assert.deepEqual(outcomes, [{ kind: 'stopped' }]);
    assert.ok(!fs.existsSync(path.join(outDir, 'train.lock')), 'the terminated worker\'s lock is removed');
    assert.ok(fs.existsSync(path.join(other, 'train.lock')));
  });

  it('refuses to start twice', async () => {
    const { session } = await run('normal');
    assert.throws(() => session.start(request), /only once/);
  });
});
