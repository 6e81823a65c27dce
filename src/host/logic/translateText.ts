/**
 * Selections → source sentences → edited text, for "Translate Selection".
 * Each selected line is one source sentence; blank lines stay blank, and a
 * line's leading/trailing whitespace (indentation) is kept around its
 * translation. No `vscode` import; the notification text is translated
 * with `l10n.t`.
 */
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';

/** One line of a selection: the sentence and the whitespace around it. */
export interface SourceLine {
  /** Leading whitespace, kept in the output. */
  indent: string;
  /** The sentence (trimmed; empty for a blank line). */
  text: string;
  /** Trailing whitespace, kept in the output. */
  trailing: string;
}

/** Split one selection's text into lines (`\n` or `\r\n`). */
export function splitSelectionText(text: string): SourceLine[] {
  return text.split(/\r?\n/).map((line) => {
    const m = /^(\s*)(.*?)(\s*)$/s.exec(line)!;
    return { indent: m[1], text: m[2], trailing: m[3] };
  });
}

/** All selections' lines flattened, with where each selection's lines start (for re-assembly). */
export interface SelectionBatch {
  /** Source sentences to translate, in order (blank lines included, as ''). */
  sentences: string[];
  /** Per selection, its lines. */
  selections: SourceLine[][];
}

/** Flatten several selections (in document order) into one list of sentences. */
export function batchSelections(texts: string[]): SelectionBatch {
  const selections = texts.map(splitSelectionText);
  return { selections, sentences: selections.flatMap((lines) => lines.map((l) => l.text)) };
}

/** The number of sentences that are not blank. */
export function countSentences(batch: SelectionBatch): number {
  return batch.sentences.filter((s) => s !== '').length;
}

/**
 * Per selection, the translated text for "replace": each line becomes its
 * translation with the original indentation and trailing whitespace; blank
 * lines stay as they were, and so does a sentence the model produced no
 * words for (an empty output would erase it). `translations` align with
 * `batch.sentences`.
 * @throws RangeError when the counts differ
 */
export function replacementTexts(batch: SelectionBatch, translations: string[], eol: string): string[] {
  checkCount(batch, translations);
  let k = 0;
  return batch.selections.map((lines) =>
    lines
      .map((l) => {
        const t = translations[k++];
        return l.text === '' || t === '' ? l.indent + l.text + l.trailing : l.indent + t + l.trailing;
      })
      .join(eol),
  );
}

/**
 * Per selection, the text to insert at the end of its last line for
 * "insert below": a line break, then the translated lines (indented like
 * their sources; blank lines and empty outputs dropped).
 * @throws RangeError when the counts differ
 */
export function insertBelowTexts(batch: SelectionBatch, translations: string[], eol: string): string[] {
  checkCount(batch, translations);
  let k = 0;
  return batch.selections.map((lines) => {
    const out: string[] = [];
    for (const l of lines) {
      const t = translations[k++];
      if (l.text !== '' && t !== '') out.push(l.indent + t);
    }
    return out.length ? eol + out.join(eol) : '';
  });
}

function checkCount(batch: SelectionBatch, translations: string[]): void {
  if (translations.length !== batch.sentences.length) {
    throw new RangeError(`expected ${batch.sentences.length} translations, got ${translations.length}`);
  }
}

/**
 * How the notification shows a model output with no words (it predicted
 * `<eos>` first): the English text; the notification shows {@link emptyOutputText}.
 */
export const EMPTY_OUTPUT = '(no output: the model ended the translation at once)';

/** {@link EMPTY_OUTPUT}, translated. */
export function emptyOutputText(): string {
  return l10n.t('(no output: the model ended the translation at once)');
}

/** One entry of the n-best quick pick: the output, its score and log-probability. */
export interface NBestPickItem {
  label: string;
  description: string;
  /** Index in the n-best list. */
  index: number;
}

/**
 * The quick-pick entries for one sentence's n best (best first): the output
 * (an empty one as {@link emptyOutputText}) and, translated, its
 * length-penalised score and log-probability.
 */
export function nBestPickItems(entries: readonly { text: string; score: number; logProb: number }[]): NBestPickItem[] {
  return entries.map((e, index) => ({
    label: e.text === '' ? emptyOutputText() : e.text,
    description: l10n.t('score {0} · log-prob {1}', e.score.toFixed(3), e.logProb.toFixed(3)),
    index,
  }));
}

/**
 * The number of non-blank sentences whose translation is empty: the model
 * predicted `<eos>` first (typical of a model that has barely trained).
 * @throws RangeError when the counts differ
 */
export function countEmptyOutputs(batch: SelectionBatch, translations: string[]): number {
  checkCount(batch, translations);
  return batch.sentences.filter((s, i) => s !== '' && translations[i] === '').length;
}

/**
 * The notification text (translated): one sentence → the translation in
 * quotes; several → the first few, then how many more. An empty output for
 * a non-blank sentence is shown as {@link emptyOutputText}, never as a blank
 * selection. At most `maxChars` characters.
 * @throws RangeError when the counts differ
 */
export function notificationText(batch: SelectionBatch, translations: string[], maxShown = 3, maxChars = 400): string {
  checkCount(batch, translations);
  const shown = translations.filter((_, i) => batch.sentences[i] !== '').map((t) => (t === '' ? emptyOutputText() : `“${t}”`));
  if (shown.length === 0) return l10n.t('Nothing to translate: the selection is blank.');
  let s: string;
  if (shown.length === 1) s = l10n.t('Translation: {0}', shown[0]);
  else {
    const more = shown.length - maxShown;
    const list = shown.slice(0, maxShown).join(' · ');
    const empty = countEmptyOutputs(batch, translations);
    if (more > 0 && empty > 0) s = l10n.t('Translations ({0}): {1} … and {2} more ({3} without output)', shown.length, list, more, empty);
    else if (more > 0) s = l10n.t('Translations ({0}): {1} … and {2} more', shown.length, list, more);
    else if (empty > 0) s = l10n.t('Translations ({0}): {1} ({2} without output)', shown.length, list, empty);
    else s = l10n.t('Translations ({0}): {1}', shown.length, list);
  }
  return s.length > maxChars ? s.slice(0, maxChars - 1) + '…' : s;
}
