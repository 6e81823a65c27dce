/**
 * Runtime checks of the messages a webview sends to the host. A webview is
 * a web page: what it posts is checked against its protocol type before the
 * host acts on it; anything else is ignored (and logged by the caller).
 * One validator per webview → host protocol (src/protocol/trainingPanel.ts,
 * src/protocol/attentionView.ts, src/protocol/compareRuns.ts).
 */
import { MAX_ANALYSIS_TEXT, MAX_PREFIX_TOKENS, type AttentionToHost } from './attentionView';
import { MAX_CHART_EXPORT_CHARS, type ExportChartCommand } from './chartExport';
import type { CompareToHost } from './compareRuns';
import type { PanelToHost } from './trainingPanel';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Exactly the keys `keys` (no more: a message with extra fields is not one of ours). */
const hasOnlyKeys = (v: Record<string, unknown>, keys: string[]) => Object.keys(v).every((k) => keys.includes(k));

/** A Training panel → host message: `ready`, `stop`, `revealRun` or `resume` with nothing else, or an `exportChart`. */
export function isPanelToHost(v: unknown): v is PanelToHost {
  if (isExportChartCommand(v)) return true;
  if (!isRecord(v) || !hasOnlyKeys(v, ['type'])) return false;
  return v.type === 'ready' || v.type === 'stop' || v.type === 'revealRun' || v.type === 'resume';
}

/** Base64 text (the PNG bytes of a chart export): letters, digits, `+`, `/`, up to two `=` at the end, length a multiple of 4. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A chart export (src/protocol/chartExport.ts): `format` `svg` with text
 * that starts as an SVG document, or `png` with non-empty base64; a
 * non-empty `name` of at most 200 characters; `data` at most
 * {@link MAX_CHART_EXPORT_CHARS} characters.
 */
export function isExportChartCommand(v: unknown): v is ExportChartCommand {
  if (!isRecord(v) || v.type !== 'exportChart' || !hasOnlyKeys(v, ['type', 'format', 'name', 'data'])) return false;
  if (typeof v.name !== 'string' || v.name.trim() === '' || v.name.length > 200) return false;
  if (typeof v.data !== 'string' || v.data.length === 0 || v.data.length > MAX_CHART_EXPORT_CHARS) return false;
  if (v.format === 'svg') return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(v.data.slice(0, 512));
  if (v.format === 'png') return v.data.length % 4 === 0 && BASE64.test(v.data);
  return false;
}

/** A Compare Runs view → host message: `ready`, an `exportChart`, or `exportCsv` with a non-empty `runDir`. */
export function isCompareToHost(v: unknown): v is CompareToHost {
  if (isExportChartCommand(v)) return true;
  if (!isRecord(v)) return false;
  if (v.type === 'ready') return hasOnlyKeys(v, ['type']);
  if (v.type === 'exportCsv') return hasOnlyKeys(v, ['type', 'runDir']) && typeof v.runDir === 'string' && v.runDir.length > 0 && v.runDir.length < 4096;
  return false;
}

/**
 * An attention view → host message: `ready`; `select` with a whole
 * non-negative `index`; `whatIf` with such an index and a prefix of at most
 * {@link MAX_PREFIX_TOKENS} string tokens and an optional text; `reference`
 * with an index and a string; texts at most {@link MAX_ANALYSIS_TEXT}
 * characters; or an `exportChart` (the heatmap).
 */
export function isAttentionToHost(v: unknown): v is AttentionToHost {
  if (isExportChartCommand(v)) return true;
  if (!isRecord(v)) return false;
  const index = Number.isSafeInteger(v.index) && (v.index as number) >= 0;
  const text = (t: unknown) => typeof t === 'string' && t.length <= MAX_ANALYSIS_TEXT;
  if (v.type === 'ready') return hasOnlyKeys(v, ['type']);
  if (v.type === 'select') return hasOnlyKeys(v, ['type', 'index']) && index;
  if (v.type === 'reference') return hasOnlyKeys(v, ['type', 'index', 'reference']) && index && text(v.reference);
  if (v.type === 'whatIf') {
    const p = v.prefix;
    if (!hasOnlyKeys(v, ['type', 'index', 'prefix']) || !index || !isRecord(p) || !hasOnlyKeys(p, ['tokens', 'text'])) return false;
    const tokens = p.tokens;
    return Array.isArray(tokens) && tokens.length <= MAX_PREFIX_TOKENS && tokens.every(text) && (p.text === undefined || text(p.text));
  }
  return false;
}

/** How a rejected message is described in the log: its JSON, cut to `max` characters. */
export function describeRejected(v: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Object.prototype.toString.call(v);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
