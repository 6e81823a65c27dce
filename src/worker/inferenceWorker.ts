/**
 * Inference worker: runs in a `worker_threads` Worker for as long as the
 * extension needs it and keeps one model (a {@link Translator}) loaded.
 * Speaks `src/protocol/inference.ts`. Requests are processed one at a time in
 * arrival order; between sentences the worker yields to the event loop so a
 * `cancel` can take effect mid-request.
 */
import * as path from 'path';
import { parentPort } from 'worker_threads';
import { attentionLabel } from '../core/config/config';
import { describeError } from '../core/errors';
import { Translator, type Translation } from '../core/decoding/translator';
import { backendName } from '../core/kernels/backend';
import type { HostToInference, InferenceToHost, ModelSummary, TranslateRequest } from '../protocol/inference';

if (!parentPort) throw new Error('inferenceWorker must run inside a worker_threads Worker');
const port = parentPort;
const post = (m: InferenceToHost) => port.postMessage(m);

let translator: Translator | undefined;
/** Ids of translation requests cancelled before or while they ran. */
const cancelled = new Set<number>();
/** Serialises requests: each one starts when the previous one has finished. */
let queue: Promise<void> = Promise.resolve();

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function summarize(t: Translator): ModelSummary {
  const c = t.config;
  return {
    name: c.name ?? path.basename(t.runDir),
    runDir: t.runDir,
    checkpointDir: t.checkpointDir,
    ...(c.model.type === 'transformer'
      ? {
          cell: 'transformer',
          attention: attentionLabel(c.model),
          layers: c.model.transformer.layers,
          hiddenSize: c.model.transformer.modelSize,
          embeddingSize: c.model.transformer.modelSize,
          bidirectional: false,
        }
      : {
          cell: c.model.cell,
          attention: c.model.attention,
          layers: c.model.layers,
          hiddenSize: c.model.hiddenSize,
          embeddingSize: c.model.embeddingSize,
          bidirectional: c.model.bidirectional,
        }),
    srcVocabSize: t.srcVocab.size,
    tgtVocabSize: t.tgtVocab.size,
    beamSize: c.train.beamSize,
    lengthPenalty: c.train.lengthPenalty,
    trainedBackend: t.manifest.backend,
  };
}

/** The result for a blank line: nothing to translate (the model is not called). */
function blank(source: string): Translation {
  return { source, text: '', sourceTokens: [], targetTokens: [], attention: [], candidates: [], logProb: 0 };
}

async function load(modelPath: string): Promise<void> {
  const t0 = performance.now();
  try {
    const next = await Translator.load(modelPath);
    translator?.dispose();
    translator = next;
    post({ type: 'loaded', modelPath, summary: summarize(next), backend: backendName(), loadMs: performance.now() - t0 });
  } catch (e) {
    const { message, detail } = describeError(e);
    post({ type: 'error', modelPath, message: `Cannot load the model at ${modelPath}: ${message}`, detail });
  }
}

async function translate(req: TranslateRequest): Promise<void> {
  const { id, lines } = req;
  if (cancelled.delete(id)) return post({ type: 'cancelled', id, done: 0 });
  if (!translator) return post({ type: 'error', id, message: 'No model is loaded: send `load` first.' });
  if (!Array.isArray(lines) || lines.some((l) => typeof l !== 'string')) {
    return post({ type: 'error', id, message: '`lines` must be an array of strings.' });
  }
  const t0 = performance.now();
  const out: Translation[] = [];
  let lastProgress = 0;
  let trees = req.beamTrees ?? 0;
  try {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const { source, reference: tsvReference } = req.tsv ? translator.splitTsvLine(line) : { source: line, reference: undefined };
      const blankLine = source.trim() === '';
      const beamTree = !blankLine && trees-- > 0;
      const reference = req.reference ?? tsvReference;
      out.push(
        blankLine
          ? blank(line)
          : translator.translate(source, {
              beamSize: req.beamSize,
              topK: req.topK ?? 5,
              nBest: req.nBest,
              beamTree,
              ...(req.prefix ? { prefix: req.prefix } : {}),
              ...(reference !== undefined ? { reference } : {}),
              // The per-sentence search-error table and tree only for the sentences the view shows.
              ...(reference !== undefined && beamTree ? { referenceBeams: req.referenceBeams, referenceTreeBeam: req.referenceTreeBeam } : {}),
            }),
      );
      const now = performance.now();
      // Progress at most every 100 ms (and for the last line), then let a `cancel` in.
      if (now - lastProgress > 100 || i === lines.length - 1) {
        lastProgress = now;
        post({ type: 'progress', id, done: i + 1, total: lines.length });
      }
      if (i < lines.length - 1) {
        await yieldToEventLoop();
        if (cancelled.delete(id)) return post({ type: 'cancelled', id, done: i + 1 });
      }
    }
  } catch (e) {
    const { message, detail } = describeError(e);
    return post({ type: 'error', id, message: `Translation failed: ${message}`, detail });
  }
  cancelled.delete(id);
  post({ type: 'result', id, translations: out, ms: performance.now() - t0 });
}

port.on('message', (msg: HostToInference) => {
  switch (msg?.type) {
    case 'cancel':
      // Handled at once (not queued) so it reaches a running request.
      cancelled.add(msg.id);
      break;
    case 'load':
      queue = queue.then(() => load(msg.modelPath));
      break;
    case 'translate':
      queue = queue.then(() => translate(msg));
      break;
    default:
      post({ type: 'error', message: `Unknown request ${JSON.stringify((msg as { type?: unknown })?.type)}` });
  }
});
