import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { withDefaults } from '../src/core/config/config';
import type { TrainingEvent } from '../src/core/training/events';
import type { HostToWorker, WorkerToHost } from '../src/protocol/worker';

const WORKER = path.join(__dirname, '..', 'dist', 'worker.js');

/** Drive the bundled worker the way the extension host does. */
function startWorker() {
  const worker = new Worker(WORKER);
  const messages: WorkerToHost[] = [];
  const waiters: { pred: (m: WorkerToHost) => boolean; resolve: (m: WorkerToHost) => void }[] = [];
  worker.on('message', (m: WorkerToHost) => {
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const send = (m: HostToWorker) => worker.postMessage(m);
  const next = (pred: (m: WorkerToHost) => boolean, timeoutMs = 120000) =>
    new Promise<WorkerToHost>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('timed out waiting for a worker message')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { worker, messages, send, next };
}

const isEvent = (type: TrainingEvent['type']) => (m: WorkerToHost) => m.type === 'event' && m.event.type === type;

describe('training worker protocol', function () {
  this.timeout(180000);
  let dir: string;
  let data: string;
  before(async function () {
    try {
      await fs.access(WORKER);
    } catch {
      throw new Error('dist/worker.js is missing: run `npm run build` (npm test does this first)');
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-worker-'));
    data = path.join(dir, 'copy.tsv');
    const lines = [];
    for (let i = 0; i < 300; i++) {
      const w = Array.from({ length: 3 + (i % 4) }, (_, k) => String.fromCharCode(97 + ((i * 7 + k * 3) % 8)));
      lines.push(`${w.join(' ')}\t${w.join(' ')}`);
    }
    await fs.writeFile(data, lines.join('\n') + '\n');
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const config = (epochs: number) =>
    withDefaults({
      data: { train: data, maxLength: 10 },
      model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
      train: { epochs, batchSize: 16, logEvery: 2, learningRate: 0.01 },
    });

  it('start → reading → started → progress → validation → done, with the backend named', async () => {
    const w = startWorker();
    try {
      w.send({ type: 'start', config: config(1), outDir: path.join(dir, 'run1'), resume: false });
      const done = await w.next(isEvent('done'));
      const types = w.messages.map((m) => (m.type === 'event' ? m.event.type : m.type));
      // The data's reading progress comes first (at least the totals of the file), then the run starts.
      const started = types.indexOf('started');
      assert.ok(started >= 1 && types.slice(0, started).every((t) => t === 'reading'), types.slice(0, 5).join());
      assert.ok(types.indexOf('progress') > 0 && types.indexOf('progress') < types.indexOf('validation'));
      assert.ok(types.indexOf('validation') < types.indexOf('done'));
      assert.ok(!types.includes('error'));
      const ev = (done as Extract<WorkerToHost, { type: 'event' }>).event as Extract<TrainingEvent, { type: 'done' }>;
      assert.equal(ev.reason, 'epochs');
      assert.equal(ev.backend, 'wasm');
      for (const m of w.messages) if (m.type === 'event' && m.event.type === 'progress') assert.equal(m.event.backend, 'wasm');
    } finally {
      await w.worker.terminate();
    }
  });

  it('cancel stops training within a second and writes the last checkpoint', async () => {
    const w = startWorker();
    try {
      const outDir = path.join(dir, 'run2');
      w.send({ type: 'start', config: config(1000), outDir, resume: false });
      await w.next(isEvent('progress'));
      const t0 = Date.now();
      w.send({ type: 'cancel' });
      const done = await w.next(isEvent('done'), 5000);
      const waited = Date.now() - t0;
      assert.ok(waited < 1000, `done arrived ${waited} ms after cancel`);
      const ev = (done as Extract<WorkerToHost, { type: 'event' }>).event as Extract<TrainingEvent, { type: 'done' }>;
      assert.equal(ev.reason, 'cancelled');
      await fs.access(path.join(outDir, 'last', 'weights.json'));
    } finally {
      await w.worker.terminate();
    }
  });

  it('reports unusable data as an error message naming the file and line', async () => {
    const bad = path.join(dir, 'bad.tsv');
    await fs.writeFile(bad, 'one\tun\ntwo without a tab\n');
    const w = startWorker();
    try {
      w.send({ type: 'start', config: withDefaults({ data: { train: bad } }), outDir: path.join(dir, 'run3'), resume: false });
      const err = await w.next((m) => m.type === 'error');
      assert.match((err as Extract<WorkerToHost, { type: 'error' }>).message, /bad\.tsv:2: /);
    } finally {
      await w.worker.terminate();
    }
  });
});
