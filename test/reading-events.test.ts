/**
 * `reading` events: the trainer sends them while the data loads (not into
 * metrics.jsonl), the CLI prints them (updating line on a terminal, a line
 * every few seconds otherwise), the host's RunStore keeps the latest per file
 * and the status bar / panel texts describe them.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import type { ReadingEvent, TrainingEvent } from '../src/core/training/events';
import { train } from '../src/core/training/training';
import { formatEvent, readingPrinter } from '../src/cli/main';
import { RunStore } from '../src/host/logic/runStore';
import { eventLogLine, readingPercent, readingText, statusText } from '../src/shared/format';

const ev = (over: Partial<ReadingEvent> = {}): ReadingEvent => ({
  type: 'reading',
  role: 'train',
  file: path.join(process.cwd(), 'data', 'big.tsv'),
  linesRead: 123456,
  pairsKept: 120000,
  bytesRead: 250,
  totalBytes: 1000,
  done: false,
  ...over,
});

describe('reading events', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-reading-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the trainer emits them before started, ending each file with its totals, and keeps them out of metrics.jsonl', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `word ${i % 13} here\tmot ${i % 13} ici`);
    lines.push('far too long a sentence for the limit of eight tokens on one side\tcourt');
    const trainFile = path.join(dir, 'train.tsv');
    await fs.writeFile(trainFile, lines.join('\n') + '\n');
    const validFile = path.join(dir, 'valid.tsv');
    await fs.writeFile(validFile, 'word 1 here\tmot 1 ici\n');
    const events: TrainingEvent[] = [];
    const runDir = path.join(dir, 'run');
    await train({
      config: withDefaults({
        data: { train: trainFile, valid: validFile, maxLength: 8, testFraction: 0.1 },
        model: { embeddingSize: 4, hiddenSize: 8, dropout: 0 },
        train: { batchSize: 64, epochs: 1, threads: 1 },
      }),
      outDir: runDir,
      resume: false,
      listener: (e) => events.push(e),
    });
    const started = events.findIndex((e) => e.type === 'started');
    const reading = events.filter((e): e is ReadingEvent => e.type === 'reading');
    assert.ok(reading.length >= 2);
    assert.ok(events.slice(0, started).every((e) => e.type === 'reading'), 'reading events come first');
    assert.ok(events.slice(started).every((e) => e.type !== 'reading'));
    const trainDone = reading.find((e) => e.role === 'train' && e.done)!;
    assert.deepEqual({ ...trainDone, bytesRead: 0, totalBytes: 0 }, { type: 'reading', role: 'train', file: trainFile, linesRead: 301, pairsKept: 300, bytesRead: 0, totalBytes: 0, done: true });
    assert.ok(reading.some((e) => e.role === 'valid' && e.done && e.pairsKept === 1));
    const metrics = await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8');
    assert.ok(!metrics.includes('"reading"'));
    assert.match(metrics, /^\{"type":"started"/);
  });

  it('formatEvent prints them (relative path, progress in % of bytes, totals at the end)', () => {
    assert.equal(formatEvent(ev()), `reading ${path.join('data', 'big.tsv')}: 123,456 lines read, 120,000 pairs kept (25%)`);
    assert.equal(formatEvent(ev({ done: true, linesRead: 1000000, pairsKept: 950000 })), `read ${path.join('data', 'big.tsv')}: 1,000,000 lines, 950,000 pairs kept`);
    assert.match(formatEvent(ev({ totalBytes: 0, bytesRead: 0 }))!, /\(100%\)$/);
  });

  it('the CLI printer updates one line on a terminal and prints every few seconds otherwise', () => {
    const tty: string[] = [];
    const p = readingPrinter({ isTTY: true, write: (s) => tty.push(s) });
    p.show(ev());
    p.show(ev({ linesRead: 200000 }));
    p.end();
    p.end();
    assert.equal(tty.length, 3);
    assert.ok(tty[0].startsWith('\r') && tty[0].endsWith('\x1b[K'));
    assert.equal(tty[2], '\n');
    const done: string[] = [];
    const q = readingPrinter({ isTTY: true, write: (s) => done.push(s) });
    q.show(ev({ done: true }));
    q.end();
    assert.equal(done.length, 1);
    assert.ok(done[0].endsWith('\n'));

    let now = 0;
    const out: string[] = [];
    const r = readingPrinter({ isTTY: false, write: (s) => out.push(s) }, 5000, () => now);
    for (let t = 0; t <= 12000; t += 250) {
      now = t;
      r.show(ev({ linesRead: t }));
    }
    r.show(ev({ done: true }));
    r.end();
    assert.deepEqual(out.map((s) => s.match(/: ([\d,]+) lines/)![1]), ['0', '5,000', '10,000', '123,456']);
    assert.ok(out.every((s) => s.endsWith('\n') && !s.includes('\r')));
  });

  it('the RunStore keeps only the latest reading event of each file (replay after reopening)', () => {
    const store = new RunStore();
    store.begin({ name: 'r', runDir: '/tmp/r' } as never);
    for (let i = 1; i <= 50; i++) store.append(ev({ linesRead: i }));
    store.append(ev({ linesRead: 60, done: true }));
    store.append(ev({ role: 'valid', linesRead: 5 }));
    store.append(ev({ role: 'valid', linesRead: 9 }));
    const replayed = store.replay().events as ReadingEvent[];
    assert.deepEqual(replayed.map((e) => [e.role, e.linesRead, e.done]), [['train', 60, true], ['valid', 9, false]]);
  });

  it('status bar, panel and output-channel texts', () => {
    assert.equal(readingPercent(ev()), 25);
    assert.equal(readingPercent(ev({ done: true })), 100);
    assert.equal(readingText(ev()), 'Reading data: 123,456 lines read, 120,000 pairs kept (25%)');
    assert.equal(readingText(ev({ role: 'valid' })), 'Reading validation data: 123,456 lines read, 120,000 pairs kept (25%)');
    assert.equal(statusText({ phase: 'reading', reading: ev() }), '$(sync~spin) Seq2Seq: reading data 25% · 120k pairs');
    assert.match(eventLogLine(ev({ done: true })), /^read .*big\.tsv: 123456 lines, 120000 pairs kept$/);
  });
});
