/**
 * The extension host's handle on the inference worker (dist/inference.js,
 * protocol `src/protocol/inference.ts`). Spawns the worker lazily, keeps it
 * alive between translations (the model stays loaded), loads a different
 * model only when asked for one, and turns a crashed worker into rejected
 * promises (the next call starts a fresh worker). No `vscode` import, so it
 * is tested in plain Node against the real bundled worker. The errors it
 * builds itself carry translated messages (`l10n.t`); the worker's own
 * messages are passed on as they are.
 */
import { existsSync } from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { Translation } from '../core/decoding/translator';
import type { HostToInference, InferenceToHost, LoadedMessage, TranslateRequestOptions } from '../protocol/inference';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';

export interface InferenceClientOptions {
  /** Absolute path of dist/inference.js. */
  workerPath: string;
  /** Extra environment for the worker (e.g. `SEQ2SEQ_BACKEND`). */
  env?: Record<string, string>;
}

/** A translation's options: those of the worker's `translate` request (one definition, `src/protocol/inference.ts`), and a progress callback. */
export type TranslateCallOptions = TranslateRequestOptions & {
  /** Called with lines done / total while the request runs. */
  onProgress?: (done: number, total: number) => void;
};

/** Thrown (as a rejection) when a translation was cancelled with {@link InferenceClient.cancel}. */
export class TranslationCancelledError extends Error {
  constructor(readonly done: number) {
    super(l10n.t('Translation cancelled'));
    this.name = 'TranslationCancelledError';
  }
}

interface Pending {
  resolve(t: { translations: Translation[]; ms: number }): void;
  reject(e: Error): void;
  onProgress?: (done: number, total: number) => void;
}

/** See module doc. */
export class InferenceClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private loadWaiters: { modelPath: string; resolve(m: LoadedMessage): void; reject(e: Error): void }[] = [];
  private loadedModel: LoadedMessage | undefined;
  private loadingPath: string | undefined;
  private loading: Promise<LoadedMessage> | undefined;

  constructor(private readonly options: InferenceClientOptions) {}

  /** The model the worker has loaded (undefined before the first load or after a crash). */
  get loaded(): LoadedMessage | undefined {
    return this.loadedModel;
  }

  /**
   * Make `modelPath` (run or checkpoint folder) the loaded model; resolves at
   * once when it already is (pass `force` to reload, e.g. after retraining).
   * @throws Error with a user-facing message when the worker cannot load it
   */
  ensureLoaded(modelPath: string, force = false): Promise<LoadedMessage> {
    const key = path.resolve(modelPath);
    if (!force && this.loadedModel && path.resolve(this.loadedModel.modelPath) === key) return Promise.resolve(this.loadedModel);
    if (!force && this.loading && this.loadingPath === key) return this.loading;
    const worker = this.spawn();
    this.loadingPath = key;
    const p = new Promise<LoadedMessage>((resolve, reject) => this.loadWaiters.push({ modelPath: key, resolve, reject }));
    this.loading = p;
    const clear = () => {
      if (this.loading === p) {
        this.loading = undefined;
        this.loadingPath = undefined;
      }
    };
    p.then(clear, clear);
    this.post(worker, { type: 'load', modelPath: key });
    return p;
  }

  /**
   * Translate `lines` with the loaded model (call {@link ensureLoaded} first).
   * Returns the request id at once (for {@link cancel}) and the result promise.
   * @throws (rejects) TranslationCancelledError after a cancel; Error with the worker's message on failure
   */
  translate(lines: string[], opts: TranslateCallOptions = {}): { id: number; result: Promise<{ translations: Translation[]; ms: number }> } {
    const id = this.nextId++;
    const worker = this.spawn();
    const result = new Promise<{ translations: Translation[]; ms: number }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: opts.onProgress });
    });
    const { onProgress: _, ...request } = opts; // a function cannot cross to the worker
    this.post(worker, { type: 'translate', id, lines, ...request });
    return { id, result };
  }

  /** Ask the worker to stop request `id` after its current sentence. */
  cancel(id: number): void {
    if (this.worker && this.pending.has(id)) this.post(this.worker, { type: 'cancel', id });
  }

  /** Terminate the worker; pending requests reject. */
  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error(l10n.t('The inference worker was stopped.')));
    if (w) void w.terminate();
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    if (!existsSync(this.options.workerPath)) {
      throw new Error(l10n.t('The inference worker is missing ({0}); build the extension with `npm run build`.', this.options.workerPath));
    }
    const worker = new Worker(this.options.workerPath, { env: { ...process.env, ...(this.options.env ?? {}) } });
    this.worker = worker;
    worker.on('message', (m: InferenceToHost) => this.onMessage(m));
    worker.on('error', (err) => this.onGone(worker, new Error(l10n.t('The inference worker crashed: {0}', err.message))));
    worker.on('exit', (code) => this.onGone(worker, new Error(l10n.t('The inference worker exited (code {0}).', code))));
    return worker;
  }

  private onGone(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    this.loadedModel = undefined;
    for (const w of this.loadWaiters.splice(0)) w.reject(err);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }

  private onMessage(m: InferenceToHost): void {
    switch (m.type) {
      case 'loaded': {
        this.loadedModel = m;
        // The worker answers loads in order, one `loaded` or `error` each.
        this.loadWaiters.shift()?.resolve(m);
        break;
      }
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.done, m.total);
        break;
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve({ translations: m.translations, ms: m.ms });
        break;
      }
      case 'cancelled': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(new TranslationCancelledError(m.done));
        break;
      }
      case 'error':
        if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          p?.reject(new Error(m.message));
        } else if (m.modelPath !== undefined) {
          this.loadWaiters.shift()?.reject(new Error(m.message));
        }
        break;
    }
  }

  private post(worker: Worker, msg: HostToInference): void {
    worker.postMessage(msg);
  }
}
