/**
 * "Seq2Seq: Export Metrics as CSV": a run's metrics.jsonl (one training
 * event per line, src/core/training/events.ts) as a CSV table, one row per event.
 * Quoting and escaping are csv-stringify's (RFC 4180). No `vscode` import.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { stringify } from 'csv-stringify/sync';
import type { TrainingEvent } from '../../core/training/events';
import { parseMetricsJsonl } from './modelsList';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures (the extractor needs this import).
import * as l10n from '@vscode/l10n';

/** Columns that come first, in this order, when any event has them; the others follow in order of first appearance. */
export const LEADING_COLUMNS = [
  'step',
  'epoch',
  'type',
  'loss',
  'perplexity',
  'bleu',
  'learningRate',
  'elapsedSeconds',
  'tokensPerSecond',
  'etaSeconds',
  'isBest',
  'backend',
] as const;

/**
 * The CSV text (header row, then one row per event, `\n` line ends) of
 * `events`: a column for every scalar field (number, string, boolean) any
 * event carries, empty where an event lacks it. Fields holding arrays or
 * objects (a validation's sample translations) are left out. Numbers are
 * written as JavaScript prints them (NaN as `NaN`), booleans as
 * `true`/`false`.
 */
export function metricsCsv(events: readonly TrainingEvent[]): string {
  const seen = new Set<string>();
  const order: string[] = [];
  for (const e of events) {
    for (const [k, v] of Object.entries(e)) {
      if (seen.has(k) || v === null || typeof v === 'object') continue;
      seen.add(k);
      order.push(k);
    }
  }
  const leading = LEADING_COLUMNS.filter((c) => seen.has(c));
  const columns = [...leading, ...order.filter((c) => !(leading as readonly string[]).includes(c))];
  const rows = events.map((e) => {
    const r = e as unknown as Record<string, unknown>;
    return columns.map((c) => (r[c] !== null && typeof r[c] === 'object' ? undefined : r[c]));
  });
  return stringify(rows, {
    header: true,
    columns,
    cast: { boolean: (v) => String(v), number: (v) => String(v) },
  });
}

/** The CSV of a run folder's metrics.jsonl, with how many events it holds and which lines were skipped (unreadable). */
export interface RunMetricsCsv {
  csv: string;
  rows: number;
  badLines: number[];
}

/**
 * Read `<runDir>/metrics.jsonl` and convert it ({@link metricsCsv}).
 * @throws Error naming the file when it cannot be read or holds no event.
 */
export async function runMetricsCsv(runDir: string): Promise<RunMetricsCsv> {
  const file = path.join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(l10n.t('Cannot read {0}: {1}', file, (e as Error).message));
  }
  const { events, badLines } = parseMetricsJsonl(text);
  if (events.length === 0) throw new Error(l10n.t('{0} holds no training event.', file));
  return { csv: metricsCsv(events), rows: events.length, badLines };
}
