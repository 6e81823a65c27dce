/**
 * "Export Metrics as CSV" (src/host/logic/metricsCsv.ts) and the files of the
 * chart exports (src/host/logic/exportFiles.ts), in plain Node.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import type { TrainingEvent } from '../src/core/training/events';
import { chartExportBytes, chartExportFilter, PNG_SIGNATURE, safeFileName } from '../src/host/logic/exportFiles';
import { metricsCsv, runMetricsCsv } from '../src/host/logic/metricsCsv';

const events: TrainingEvent[] = [
  { type: 'started', runDir: '/r', backend: 'wasm', parameters: 10, trainPairs: 5, validPairs: 1, testPairs: 0, srcVocabSize: 8, tgtVocabSize: 8, stepsPerEpoch: 2, totalSteps: 4, startStep: 0, time: '2025-01-01T00:00:00Z' },
  { type: 'progress', backend: 'wasm', step: 2, epoch: 1, loss: 2.5, perplexity: 12.18, tokensPerSecond: 1500, etaSeconds: 3, learningRate: 0.001, elapsedSeconds: 1.25 },
  {
    type: 'validation',
    backend: 'wasm',
    step: 2,
    epoch: 1,
    loss: 2.4,
    perplexity: 11,
    bleu: NaN,
    samples: [{ source: 'a, "b"', reference: 'x', hypothesis: 'y' }],
    isBest: true,
    learningRate: 0.001,
    elapsedSeconds: 1.5,
  },
  { type: 'log', level: 'warn', message: 'a message, with "quotes"\nand a line break' },
  { type: 'done', reason: 'epochs', backend: 'wasm', step: 4, epoch: 2, elapsedSeconds: 3, bestBleu: NaN, bestPerplexity: 11, runDir: '/r' },
];

describe('metricsCsv (Export Metrics as CSV)', () => {
  it('one row per event; step, epoch, type, loss, perplexity, bleu … first; every scalar field a column', () => {
    const csv = metricsCsv(events);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, events.length);
    const header = Object.keys(rows[0]);
    assert.deepEqual(header.slice(0, 10), ['step', 'epoch', 'type', 'loss', 'perplexity', 'bleu', 'learningRate', 'elapsedSeconds', 'tokensPerSecond', 'etaSeconds']);
    for (const k of ['isBest', 'backend', 'runDir', 'parameters', 'reason', 'message', 'level', 'bestBleu']) assert.ok(header.includes(k), k);
    assert.ok(!header.includes('samples'), 'arrays (sample translations) are not columns');
    assert.deepEqual(rows.map((r) => r.type), ['started', 'progress', 'validation', 'log', 'done']);
    assert.equal(rows[1].loss, '2.5');
    assert.equal(rows[1].elapsedSeconds, '1.25');
    assert.equal(rows[2].bleu, 'NaN');
    assert.equal(rows[2].isBest, 'true');
    assert.equal(rows[0].loss, '', 'empty where an event lacks the field');
  });

  it('quotes commas, quotes and line breaks so the text reads back exactly', () => {
    const rows = parse(metricsCsv(events), { columns: true }) as Record<string, string>[];
    assert.equal(rows[3].message, 'a message, with "quotes"\nand a line break');
  });

  it('runMetricsCsv reads a run folder; a missing or empty metrics.jsonl is an error naming the file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 's2s-csv-'));
    try {
      await fs.writeFile(path.join(dir, 'metrics.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{"type": "prog\n');
      const r = await runMetricsCsv(dir);
      assert.equal(r.rows, events.length);
      assert.deepEqual(r.badLines, [events.length + 1]);
      assert.equal((parse(r.csv, { columns: true }) as unknown[]).length, events.length);
      await assert.rejects(runMetricsCsv(path.join(dir, 'nope')), /Cannot read .*nope.metrics\.jsonl/);
      await fs.writeFile(path.join(dir, 'metrics.jsonl'), '\n');
      await assert.rejects(runMetricsCsv(dir), /metrics\.jsonl holds no training event\./);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('chart export files', () => {
  it('safeFileName keeps letters (any script), digits, . _ -; the rest becomes single dashes', () => {
    assert.equal(safeFileName('tiny-vs-flat-training-loss', 'svg'), 'tiny-vs-flat-training-loss.svg');
    assert.equal(safeFileName('my run/../../etc passwd', 'png'), 'my-run-etc-passwd.png');
    assert.equal(safeFileName('英法 翻译:best', 'csv'), '英法-翻译-best.csv');
    assert.equal(safeFileName('...', 'svg'), 'export.svg');
    assert.ok(safeFileName('x'.repeat(500), 'svg').length <= 104);
  });

  it('chartExportBytes: SVG text as UTF-8, PNG decoded and checked for the PNG signature', () => {
    assert.equal(chartExportBytes({ type: 'exportChart', format: 'svg', name: 'a', data: '<svg>é</svg>' }).toString('utf8'), '<svg>é</svg>');
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.from([0, 0, 0, 13])]);
    assert.ok(chartExportBytes({ type: 'exportChart', format: 'png', name: 'a', data: png.toString('base64') }).equals(png));
    assert.throws(() => chartExportBytes({ type: 'exportChart', format: 'png', name: 'a', data: Buffer.from('GIF89a....').toString('base64') }), /not a PNG file \(10 bytes\)/);
  });

  it('the save dialog filter names the format', () => {
    assert.deepEqual(Object.values(chartExportFilter('svg')), [['svg']]);
    assert.deepEqual(Object.values(chartExportFilter('png')), [['png']]);
  });
});
