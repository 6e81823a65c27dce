/**
 * The command line's forced-decoding tools: `translate --prefix TEXT`,
 * `--prefix-column N` and `--reference [TEXT]` (what-if decoding and the
 * score of a reference, line by line), and `eval --score-reference` /
 * `--search-errors --beam 1,2,5,10` (the same on a test set). The work is
 * done by `src/core/decoding/forced.ts` and `src/core/metrics/searchErrors.ts`;
 * this module reads the input lines and formats the output.
 */
import * as l10n from '@vscode/l10n';
import { InvalidArgumentError } from 'commander';
import type { Translation } from '../core/decoding/translator';
import type { SearchErrorRow } from '../core/metrics/searchErrors';
import { verdictText } from '../shared/forcedDecoding';
import { formatTable } from './lengthReport';

/** `--beam 1,2,5,10`: one or more positive integers, comma-separated, in the order given (duplicates dropped). */
export function beamList(value: string): number[] {
  const sizes = value.split(',').map((v) => v.trim());
  const out: number[] = [];
  for (const v of sizes) {
    const n = Number(v);
    if (v === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(l10n.t('expected a positive integer or a comma-separated list of them, e.g. 1,2,5,10'));
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** What `translate` forces or scores on one input line. */
export interface LineInput {
  source: string;
  /** What-if decoding: text the output must start with. */
  prefix?: string;
  /** A reference to score. */
  reference?: string;
}

/** How input lines are read: plain sources, or TSV columns. */
export interface LineLayout {
  /** `--prefix TEXT` (every line). */
  prefix?: string;
  /** `--prefix-column N`: the prefix is column N of a TSV line. */
  prefixColumn?: number;
  /** `--reference TEXT` (a string: every line) or `--reference` alone (true: the TSV line's target column). */
  reference?: string | boolean;
  /** The run's `data.srcColumn` / `data.tgtColumn`. */
  srcColumn: number;
  tgtColumn: number;
}

/** True when the input lines are TSV (a reference or prefix is read from a column). */
export function readsColumns(layout: LineLayout): boolean {
  return layout.reference === true || layout.prefixColumn !== undefined;
}

/**
 * One input line → its source, prefix and reference.
 * @param where the line's name for messages, e.g. `stdin:3`
 * @throws Error (name DataError) naming the line when a column is missing
 */
export function lineInput(line: string, where: string, layout: LineLayout): LineInput {
  if (!readsColumns(layout)) {
    return { source: line, ...(layout.prefix !== undefined ? { prefix: layout.prefix } : {}), ...(typeof layout.reference === 'string' ? { reference: layout.reference } : {}) };
  }
  const cols = line.split('\t');
  const column = (n: number, what: string) => {
    const v = cols[n];
    if (v === undefined) {
      throw Object.assign(new Error(l10n.t('{0}: expected a tab-separated line with a column {1} ({2}), found {3} column(s)', where, n, what, cols.length)), { name: 'DataError' });
    }
    return v;
  };
  return {
    source: column(layout.srcColumn, 'data.srcColumn'),
    ...(layout.prefixColumn !== undefined ? { prefix: column(layout.prefixColumn, '--prefix-column') } : layout.prefix !== undefined ? { prefix: layout.prefix } : {}),
    ...(layout.reference === true ? { reference: column(layout.tgtColumn, 'data.tgtColumn') } : typeof layout.reference === 'string' ? { reference: layout.reference } : {}),
  };
}

/**
 * The notes `translate` prints on stderr for one line: prefix and reference
 * words outside the target vocabulary, which were forced as `<unk>`.
 */
export function unknownWordNotes(t: Translation, where: string): string[] {
  const quote = (ws: string[]) => ws.map((w) => `“${w}”`).join(', ');
  const notes: string[] = [];
  if (t.prefix?.unknown.length) notes.push(l10n.t('{0}: prefix word(s) {1} not in the target vocabulary: forced as <unk>', where, quote(t.prefix.unknown)));
  if (t.reference?.unknown.length) notes.push(l10n.t('{0}: reference word(s) {1} not in the target vocabulary: scored as <unk>', where, quote(t.reference.unknown)));
  return notes;
}

/**
 * The line `translate --reference` prints under a translation: the
 * reference's log-probability (total and per token), its score beside the
 * output's under the same search, and the verdict.
 */
export function referenceLine(t: Translation): string {
  const r = t.reference!;
  return (
    '  ' +
    l10n.t(
      'reference: log-prob {0} ({1} per token, {2} tokens) · score {3} vs output {4} · {5} · greedy leaves it at step {6}',
      r.logProb.toFixed(3),
      r.perToken.toFixed(3),
      r.tokens.length,
      r.score.toFixed(3),
      (t.score ?? t.logProb).toFixed(3),
      verdictText(r.verdict),
      r.exposure.divergence < 0 ? '—' : String(r.exposure.divergence + 1),
    )
  );
}

/**
 * The table of `eval --search-errors`: per beam size, BLEU and the shares of
 * exact outputs, search errors, model errors and empty outputs (percent of
 * the sentences), and the mean scores.
 */
export function formatSearchErrorTable(rows: readonly SearchErrorRow[]): string {
  const pct = (n: number, of: number) => (of > 0 ? ((100 * n) / of).toFixed(1) + '%' : '—');
  const head = [l10n.t('beam'), 'BLEU', l10n.t('search errors'), l10n.t('model errors'), l10n.t('exact'), l10n.t('empty'), l10n.t('mean output score'), l10n.t('mean reference score')];
  const body = rows.map((r) => [
    r.beamSize === 1 ? l10n.t('1 (greedy)') : String(r.beamSize),
    r.bleu.toFixed(2),
    pct(r.searchErrors, r.sentences),
    pct(r.modelErrors, r.sentences),
    pct(r.correct, r.sentences),
    pct(r.empty, r.sentences),
    r.meanOutputScore.toFixed(3),
    r.meanReferenceScore.toFixed(3),
  ]);
  return formatTable(head, body);
}
