/**
 * Pure text formatting for the extension host and the Training panel: status
 * bar text, durations/ETA, throughput, and one readable log line per
 * training event. No `vscode` import, so it is unit-tested in plain Node and
 * also bundled into the webview.
 */
import type { DoneEvent, ProgressEvent, StopReason, TrainingEvent, ValidationEvent } from '../core/events';

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
 * Duration in seconds as "45s", "3m 07s", "1h 05m", "2d 03h". Negative or
 * non-finite input (unknown ETA) gives "–".
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const pad = (v: number) => String(v).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
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

const REASONS: Record<StopReason, string> = {
  epochs: 'all epochs done',
  'time-limit': 'time limit reached',
  'early-stopping': 'early stopping',
  'min-learning-rate': 'learning rate below minimum',
  cancelled: 'stopped by user',
};

/** Human-readable reason a run ended. */
export function describeStopReason(reason: StopReason): string {
  return REASONS[reason] ?? reason;
}

/** What the status bar shows; see {@link statusText}. */
export type StatusPhase =
  | { phase: 'preparing' }
  | { phase: 'training'; progress: ProgressEvent }
  | { phase: 'stopping' }
  | { phase: 'done'; done: DoneEvent }
  | { phase: 'failed' };

/**
 * Status bar text (with a `$(codicon)` prefix), e.g.
 * "$(sync~spin) Seq2Seq: step 1200 · loss 2.31 · 1.8k tok/s" while training,
 * "$(check) Seq2Seq: done · BLEU 23.4" after a run.
 */
export function statusText(s: StatusPhase): string {
  switch (s.phase) {
    case 'preparing':
      return '$(sync~spin) Seq2Seq: preparing data…';
    case 'training': {
      const p = s.progress;
      return `$(sync~spin) Seq2Seq: step ${p.step} · loss ${formatMetric(p.loss)} · ${formatCount(p.tokensPerSecond)} tok/s`;
    }
    case 'stopping':
      return '$(sync~spin) Seq2Seq: stopping…';
    case 'done': {
      const d = s.done;
      const icon = d.reason === 'cancelled' ? '$(debug-stop)' : '$(check)';
      const word = d.reason === 'cancelled' ? 'stopped' : 'done';
      const bleu = Number.isFinite(d.bestBleu) ? ` · BLEU ${formatBleu(d.bestBleu)}` : '';
      return `${icon} Seq2Seq: ${word} at step ${d.step}${bleu}`;
    }
    case 'failed':
      return '$(error) Seq2Seq: training failed';
  }
}

/** Tooltip for the status bar while training (epoch, ETA, learning rate, backend). */
export function progressTooltip(p: ProgressEvent): string {
  return [
    `Epoch ${p.epoch}, step ${p.step}`,
    `Loss ${formatMetric(p.loss)} (perplexity ${formatMetric(p.perplexity)})`,
    `${formatCount(p.tokensPerSecond)} target tokens/s on ${p.backend}`,
    `Learning rate ${formatLearningRate(p.learningRate)}`,
    `Elapsed ${formatDuration(p.elapsedSeconds)}, ETA ${formatDuration(p.etaSeconds)}`,
    'Click to show the training panel',
  ].join('\n');
}

function validationLine(v: ValidationEvent): string {
  const best = v.isBest ? ' (best)' : '';
  return `validation at step ${v.step} (epoch ${v.epoch}): loss ${formatMetric(v.loss)}, perplexity ${formatMetric(v.perplexity)}, BLEU ${formatBleu(v.bleu)}${best}`;
}

/** One readable log line for the "Seq2Seq" output channel (no timestamp; the channel adds it). */
export function eventLogLine(e: TrainingEvent): string {
  switch (e.type) {
    case 'started':
      return (
        `started on ${e.backend}: ${formatCount(e.parameters)} parameters, ` +
        `${e.trainPairs} train / ${e.validPairs} valid / ${e.testPairs} test pairs, ` +
        `vocab ${e.srcVocabSize} → ${e.tgtVocabSize}, ${e.stepsPerEpoch} steps/epoch, ${e.totalSteps} steps planned` +
        (e.startStep > 0 ? `, resuming from step ${e.startStep}` : '') +
        ` → ${e.runDir}`
      );
    case 'progress':
      return (
        `epoch ${e.epoch} step ${e.step}: loss ${formatMetric(e.loss)}, perplexity ${formatMetric(e.perplexity)}, ` +
        `${formatCount(e.tokensPerSecond)} tok/s, lr ${formatLearningRate(e.learningRate)}, ETA ${formatDuration(e.etaSeconds)}`
      );
    case 'validation':
      return validationLine(e);
    case 'checkpoint':
      return `saved ${e.kind} checkpoint at step ${e.step} → ${e.path}`;
    case 'log':
      return e.message;
    case 'done':
      return (
        `finished (${describeStopReason(e.reason)}) at step ${e.step}, epoch ${e.epoch}, after ${formatDuration(e.elapsedSeconds)}; ` +
        `best BLEU ${formatBleu(e.bestBleu)}, best perplexity ${formatMetric(e.bestPerplexity)} → ${e.runDir}`
      );
  }
}
