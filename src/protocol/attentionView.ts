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
  /** At most a few dozen sentences (blank lines left out). */
  translations: Translation[];
  selected: number;
  /** How many sentences the request had in total (may exceed `translations.length`). */
  total: number;
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

export type HostToAttention = ShowTranslationsMessage | EmptyMessage | AttentionSettingsMessage;

/** Webview → host: the page loaded and wants the latest translation. */
export interface AttentionReadyCommand {
  type: 'ready';
}
/** Webview → host: the user picked another sentence (remembered for replays). */
export interface AttentionSelectCommand {
  type: 'select';
  index: number;
}

/** Webview → host: save the heatmap as SVG or PNG (src/protocol/chartExport.ts). */
export type AttentionToHost = AttentionReadyCommand | AttentionSelectCommand | ExportChartCommand;
