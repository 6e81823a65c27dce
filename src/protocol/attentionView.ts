/**
 * Host ↔ attention view (webview) protocol. Imported by `src/host/` and
 * `webview/attention/`. The host keeps the latest translation request and
 * replays it whenever the page (re)loads, so the view survives being hidden.
 */
import type { Translation } from '../core/decoding/translator';
import type { ColorScale } from '../shared/attentionHeatmap';
import type { ExportChartCommand } from './chartExport';

/** The model that produced the translations. */
export interface AttentionModelInfo {
  name: string;
  /** Attention kind; `none` means no alignment exists. */
  attention: string;
  /** Beam size used (1 = greedy). */
  beamSize: number;
}

/** Host → webview: show these translations (the latest request), sentence `selected` first. */
export interface ShowTranslationsMessage {
  type: 'show';
  model: AttentionModelInfo;
  /**
   * At most a few dozen sentences (blank lines left out). A translation
   * whose reference was scored (a TSV line's target column, or one typed in
   * the view) carries `reference`.
   */
  translations: Translation[];
  selected: number;
  /** How many sentences the request had in total (may exceed `translations.length`). */
  total: number;
  /** Per sentence index, the latest what-if re-decoding of it (replayed with the rest). */
  whatIf?: Record<number, Translation>;
}

/** Host → webview: the re-decoding of sentence `index` after a forced prefix (what-if decoding). */
export interface WhatIfResultMessage {
  type: 'whatIfResult';
  index: number;
  translation: Translation;
}

/** Host → webview: sentence `index` translated again with its reference scored (`translation.reference`). */
export interface ReferenceResultMessage {
  type: 'referenceResult';
  index: number;
  translation: Translation;
}

/** Host → webview: a what-if or reference request for sentence `index` failed (`message` is for the user). */
export interface AnalysisErrorMessage {
  type: 'analysisError';
  index: number;
  kind: 'whatIf' | 'reference';
  message: string;
}

/** Host → webview: bring a section into view (the walkthrough's link to the exposure-bias tracks). */
export interface FocusSectionMessage {
  type: 'focus';
  section: 'reference';
}

/** Host → webview: nothing translated yet. */
export interface EmptyMessage {
  type: 'empty';
}

/** Host → webview: the view's settings (sent before the first `show`/`empty` and whenever they change). */
export interface AttentionSettingsMessage {
  type: 'settings';
  /** `seq2seq.attention.colorScale`. */
  colorScale: ColorScale;
}

export type HostToAttention =
  | ShowTranslationsMessage
  | EmptyMessage
  | AttentionSettingsMessage
  | WhatIfResultMessage
  | ReferenceResultMessage
  | AnalysisErrorMessage
  | FocusSectionMessage;

/** Webview → host: the page loaded and wants the latest translation. */
export interface AttentionReadyCommand {
  type: 'ready';
}
/** Webview → host: the user picked another sentence (remembered for replays). */
export interface AttentionSelectCommand {
  type: 'select';
  index: number;
}

/**
 * Webview → host: what-if decoding of sentence `index`: force the output to
 * start with `tokens` (target tokens as the translation shows them: the
 * output up to the clicked step, then the chosen alternative) and then
 * `text` (a typed word, tokenized as the training targets), and let the
 * search finish the sentence. Answered with `whatIfResult` or `analysisError`.
 */
export interface AttentionWhatIfCommand {
  type: 'whatIf';
  index: number;
  prefix: { tokens: string[]; text?: string };
}

/** Webview → host: score `reference` for sentence `index` (forced decoding). Answered with `referenceResult` or `analysisError`. */
export interface AttentionReferenceCommand {
  type: 'reference';
  index: number;
  reference: string;
}

/** Webview → host: save the heatmap as SVG or PNG (src/protocol/chartExport.ts). */
export type AttentionToHost = AttentionReadyCommand | AttentionSelectCommand | AttentionWhatIfCommand | AttentionReferenceCommand | ExportChartCommand;

/** Longest typed prefix or reference the view sends (characters). */
export const MAX_ANALYSIS_TEXT = 2000;
/** Most forced prefix tokens the view sends. */
export const MAX_PREFIX_TOKENS = 200;
