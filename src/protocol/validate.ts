/**
 * Runtime checks of the messages a webview sends to the host. A webview is
 * a web page: what it posts is checked against its protocol type before the
 * host acts on it; anything else is ignored (and logged by the caller).
 * One validator per webview → host protocol (src/protocol/trainingPanel.ts,
 * src/protocol/attentionView.ts).
 */
import type { AttentionToHost } from './attentionView';
import type { PanelToHost } from './trainingPanel';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Exactly the keys `keys` (no more: a message with extra fields is not one of ours). */
const hasOnlyKeys = (v: Record<string, unknown>, keys: string[]) => Object.keys(v).every((k) => keys.includes(k));

/** A Training panel → host message: `ready`, `stop`, `revealRun` or `resume`, with nothing else. */
export function isPanelToHost(v: unknown): v is PanelToHost {
  if (!isRecord(v) || !hasOnlyKeys(v, ['type'])) return false;
  return v.type === 'ready' || v.type === 'stop' || v.type === 'revealRun' || v.type === 'resume';
}

/** An attention view → host message: `ready`, or `select` with a whole non-negative `index`. */
export function isAttentionToHost(v: unknown): v is AttentionToHost {
  if (!isRecord(v)) return false;
  if (v.type === 'ready') return hasOnlyKeys(v, ['type']);
  if (v.type === 'select') return hasOnlyKeys(v, ['type', 'index']) && Number.isSafeInteger(v.index) && (v.index as number) >= 0;
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
