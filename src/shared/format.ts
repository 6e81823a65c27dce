/**
 * Pure text formatting for the extension host and the Training panel: status
 * bar text, durations/ETA, throughput, and one readable log line per
 * training event. No `vscode` import, so it is unit-tested in plain Node and
 * also bundled into the webview. The words are translated with `l10n.t`
 * (the bundle the host or the page configured; English when none).
 */
import type { DoneEvent, EarlyStoppingInfo, ProgressEvent, ReadingEvent, StopReason, TrainingEvent, ValidationEvent } from '../core/training/events';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';

/**
 * Compact count: 950 -> "950", 1834 -> "1.8k", 12_500 -> "13k", 2_300_000 -> "2.3M".
 * Non-finite input gives "–".
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  const scaled = (v: number, unit: string) => {
    const s = v < 10 ? v.toFixed(1) : String(Math.round(v));
    return sign + s.replace(/\.0$/, '') + unit;
  };
  if (a < 1000) return sign + String(Math.round(a));
  if (a < 999_500) return scaled(a / 1000, 'k');
  if (a < 999_500_000) return scaled(a / 1e6, 'M');
  return scaled(a / 1e9, 'G');
}

/**
 * Duration in seconds as "45s", "3m 07s", "1h 05m", "2d 03h" (units
 * translated). Negative or non-finite input (unknown ETA) gives "–".
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return l10n.t('{0}s', s);
  const pad = (v: number) => String(v).padStart(2, '0');
  if (s < 3600) return l10n.t('{0}m {1}s', Math.floor(s / 60), pad(s % 60));
  if (s < 86400) return l10n.t('{0}h {1}m', Math.floor(s / 3600), pad(Math.floor((s % 3600) / 60)));
  return l10n.t('{0}d {1}h', Math.floor(s / 86400), pad(Math.floor((s % 86400) / 3600)));
}

/** Loss / perplexity with a precision that suits its size: 2.3141 -> "2.31", 152.3 -> "152". */
export function formatMetric(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Learning rate in short scientific form: 0.001 -> "1e-3", 0.0005 -> "5e-4", 0.00025 -> "2.5e-4". */
export function formatLearningRate(lr: number): string {
  if (!Number.isFinite(lr)) return '–';
  if (lr === 0) return '0';
  const [mantissa, exp] = lr.toExponential(2).split('e');
  const m = mantissa.replace(/\.?0+$/, '');
  return `${m}e${Number(exp)}`;
}

/** BLEU (0–100) with one decimal. */
export function formatBleu(bleu: number): string {
  return Number.isFinite(bleu) ? bleu.toFixed(1) : '–';
}

/** Human-readable (translated) reason a run ended; an unknown reason as it is. */
export function describeStopReason(reason: StopReason): string {
  // Translated on each call: the bundle is configured after this module loads.
  switch (reason) {
    case 'epochs':
      return l10n.t('all epochs done');
    case 'time-limit':
      return l10n.t('time limit reached');
    case 'max-steps':
      return l10n.t('step limit reached');
    case 'early-stopping':
      return l10n.t('early stopping');
    case 'min-learning-rate':
      return l10n.t('learning rate below minimum');
    case 'cancelled':
      return l10n.t('stopped by user');
    default:
      return reason;
  }
}

/** A validation score with the digits that show a small change: perplexity 1.0050548 -> "1.0051", 12.345 -> "12.35", BLEU 42.4538 -> "42.45". */
function formatScore(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return Math.abs(x) < 10 ? x.toFixed(4) : Math.abs(x) < 1000 ? x.toFixed(2) : x.toFixed(0);
}

/**
 * Why early stopping ended a run (translated), e.g. "validation perplexity
 * has not improved by more than 0.01 for 3 validations (last improvement at
 * step 300: perplexity 1.0051)". For the CLI's log, the Output channel and
 * the Training panel.
 */
export function describeEarlyStop(e: EarlyStoppingInfo): string {
  const { metric, patience, minDelta, sinceStep } = e;
  const delta = String(minDelta);
  const ppl = formatScore(e.perplexity);
  const value = formatScore(e.metricValue);
  let what: string;
  if (metric === 'perplexity') {
    if (patience === 1)
      what =
        minDelta > 0
          ? l10n.t('validation perplexity did not improve by more than {0} at the last validation', delta)
          : l10n.t('validation perplexity did not improve at the last validation');
    else
      what =
        minDelta > 0
          ? l10n.t('validation perplexity has not improved by more than {0} for {1} validations', delta, patience)
          : l10n.t('validation perplexity has not improved for {0} validations', patience);
    return sinceStep > 0 ? l10n.t('{0} (last improvement at step {1}: perplexity {2})', what, sinceStep, ppl) : what;
  }
  const name = metric === 'bleu' ? 'BLEU' : l10n.t('loss');
  if (patience === 1)
    what =
      minDelta > 0
        ? l10n.t('neither validation {0} nor perplexity improved by more than {1} at the last validation', name, delta)
        : l10n.t('neither validation {0} nor perplexity improved at the last validation', name);
  else
    what =
      minDelta > 0
        ? l10n.t('neither validation {0} nor perplexity has improved by more than {1} for {2} validations', name, delta, patience)
        : l10n.t('neither validation {0} nor perplexity has improved for {1} validations', name, patience);
  return sinceStep > 0 ? l10n.t('{0} (last improvement at step {1}: {2} {3}, perplexity {4})', what, sinceStep, name, value, ppl) : what;
}

/** How far the reading of a data file is, in whole percent of its bytes (100 when done or empty). */
export function readingPercent(e: ReadingEvent): number {
  if (e.done || !(e.totalBytes > 0)) return 100;
  return Math.min(100, Math.floor((100 * e.bytesRead) / e.totalBytes));
}

/**
 * "Reading data: 120,000 lines read, 114,000 pairs kept (12%)" (translated;
 * numbers with thousands separators), for the Training panel and the CLI.
 */
export function readingText(e: ReadingEvent): string {
  const lines = e.linesRead.toLocaleString('en');
  const kept = e.pairsKept.toLocaleString('en');
  const pct = readingPercent(e);
  switch (e.role) {
    case 'valid':
      return l10n.t('Reading validation data: {0} lines read, {1} pairs kept ({2}%)', lines, kept, pct);
    case 'test':
      return l10n.t('Reading test data: {0} lines read, {1} pairs kept ({2}%)', lines, kept, pct);
    default:
      return l10n.t('Reading data: {0} lines read, {1} pairs kept ({2}%)', lines, kept, pct);
  }
}

/** What the status bar shows; see {@link statusText}. */
export type StatusPhase =
  | { phase: 'preparing' }
  | { phase: 'reading'; reading: ReadingEvent }
  | { phase: 'training'; progress: ProgressEvent }
  | { phase: 'stopping' }
  | { phase: 'done'; done: DoneEvent }
  /** `step`: the last step reached, when known. */
  | { phase: 'failed'; step?: number }
  /** A run that stopped without finishing (its worker was killed) and can be resumed. */
  | { phase: 'interrupted'; name: string; step: number };

/**
 * Status bar text (translated, with a `$(codicon)` prefix), e.g.
 * "$(sync~spin) Seq2Seq: step 1200 · loss 2.31 · 1.8k tok/s" while training,
 * "$(check) Seq2Seq: done at step 5000 · BLEU 23.4" after a run.
 */
export function statusText(s: StatusPhase): string {
  switch (s.phase) {
    case 'preparing':
      return '$(sync~spin) ' + l10n.t('Seq2Seq: preparing data…');
    case 'reading':
      return '$(sync~spin) ' + l10n.t('Seq2Seq: reading data {0}% · {1} pairs', readingPercent(s.reading), formatCount(s.reading.pairsKept));
    case 'training': {
      const p = s.progress;
      return '$(sync~spin) ' + l10n.t('Seq2Seq: step {0} · loss {1} · {2} tok/s', p.step, formatMetric(p.loss), formatCount(p.tokensPerSecond));
    }
    case 'stopping':
      return '$(sync~spin) ' + l10n.t('Seq2Seq: stopping…');
    case 'done': {
      const d = s.done;
      const hasBleu = Number.isFinite(d.bestBleu);
      const bleu = formatBleu(d.bestBleu);
      if (d.reason === 'cancelled') {
        return '$(debug-stop) ' + (hasBleu ? l10n.t('Seq2Seq: stopped at step {0} · BLEU {1}', d.step, bleu) : l10n.t('Seq2Seq: stopped at step {0}', d.step));
      }
      return '$(check) ' + (hasBleu ? l10n.t('Seq2Seq: done at step {0} · BLEU {1}', d.step, bleu) : l10n.t('Seq2Seq: done at step {0}', d.step));
    }
    case 'failed':
      return '$(error) ' + (s.step !== undefined ? l10n.t('Seq2Seq: training failed at step {0}', s.step) : l10n.t('Seq2Seq: training failed'));
    case 'interrupted':
      return '$(debug-pause) ' + l10n.t('Seq2Seq: {0} interrupted at step {1}', s.name, s.step);
  }
}

/** Tooltip (translated) for the status bar while training (epoch, ETA, learning rate, backend). */
export function progressTooltip(p: ProgressEvent): string {
  return [
    l10n.t('Epoch {0}, step {1}', p.epoch, p.step),
    l10n.t('Loss {0} (perplexity {1})', formatMetric(p.loss), formatMetric(p.perplexity)),
    l10n.t('{0} target tokens/s on {1}', formatCount(p.tokensPerSecond), p.backend),
    l10n.t('Learning rate {0}', formatLearningRate(p.learningRate)),
    l10n.t('Elapsed {0}, ETA {1}', formatDuration(p.elapsedSeconds), formatDuration(p.etaSeconds)),
    l10n.t('Click to show the training panel'),
  ].join('\n');
}

function validationLine(v: ValidationEvent): string {
  const args = [v.step, v.epoch, formatMetric(v.loss), formatMetric(v.perplexity), formatBleu(v.bleu)];
  return v.isBest
    ? l10n.t('validation at step {0} (epoch {1}): loss {2}, perplexity {3}, BLEU {4} (best)', ...args)
    : l10n.t('validation at step {0} (epoch {1}): loss {2}, perplexity {3}, BLEU {4}', ...args);
}

/**
 * One readable log line (translated words, the numbers as they are) for the
 * "Seq2Seq" output channel (no timestamp; the channel adds it). A `log`
 * event's message comes from the engine and is passed through as it is.
 */
export function eventLogLine(e: TrainingEvent): string {
  switch (e.type) {
    case 'reading':
      return e.done
        ? l10n.t('read {0}: {1} lines, {2} pairs kept', e.file, e.linesRead, e.pairsKept)
        : l10n.t('reading {0}: {1} lines read, {2} pairs kept ({3}%)', e.file, e.linesRead, e.pairsKept, readingPercent(e));
    case 'started': {
      const args = [
        e.backend,
        formatCount(e.parameters),
        e.trainPairs,
        e.validPairs,
        e.testPairs,
        e.srcVocabSize,
        e.tgtVocabSize,
        e.stepsPerEpoch,
        e.totalSteps,
      ];
      return e.startStep > 0
        ? l10n.t(
            'started on {0}: {1} parameters, {2} train / {3} valid / {4} test pairs, vocab {5} → {6}, {7} steps/epoch, {8} steps planned, resuming from step {9} → {10}',
            ...args,
            e.startStep,
            e.runDir,
          )
        : l10n.t(
            'started on {0}: {1} parameters, {2} train / {3} valid / {4} test pairs, vocab {5} → {6}, {7} steps/epoch, {8} steps planned → {9}',
            ...args,
            e.runDir,
          );
    }
    case 'progress':
      return l10n.t(
        'epoch {0} step {1}: loss {2}, perplexity {3}, {4} tok/s, lr {5}, ETA {6}',
        e.epoch,
        e.step,
        formatMetric(e.loss),
        formatMetric(e.perplexity),
        formatCount(e.tokensPerSecond),
        formatLearningRate(e.learningRate),
        formatDuration(e.etaSeconds),
      );
    case 'validation':
      return validationLine(e);
    case 'checkpoint':
      return e.kind === 'best'
        ? l10n.t('saved best checkpoint at step {0} → {1}', e.step, e.path)
        : l10n.t('saved last checkpoint at step {0} → {1}', e.step, e.path);
    case 'log':
      return e.message;
    case 'done':
      if (e.earlyStopping) {
        return l10n.t(
          'stopped early at step {0}, epoch {1}, after {2}: {3}; best BLEU {4}, best perplexity {5} → {6}',
          e.step,
          e.epoch,
          formatDuration(e.elapsedSeconds),
          describeEarlyStop(e.earlyStopping),
          formatBleu(e.bestBleu),
          formatMetric(e.bestPerplexity),
          e.runDir,
        );
      }
      return l10n.t(
        'finished ({0}) at step {1}, epoch {2}, after {3}; best BLEU {4}, best perplexity {5} → {6}',
        describeStopReason(e.reason),
        e.step,
        e.epoch,
        formatDuration(e.elapsedSeconds),
        formatBleu(e.bestBleu),
        formatMetric(e.bestPerplexity),
        e.runDir,
      );
  }
}
