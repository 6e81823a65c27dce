/**
 * A data-parallel replica (see `src/core/training/parallel.ts`): holds a copy of the
 * model and optimiser, computes the gradients of its share of each batch and
 * applies the same combined update as every other replica.
 */
import { parentPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../core/kernels/backend';
import { describeError } from '../core/errors';
import { AnyModel, createModel } from '../core/model/index';
import { combineShares, FromReplica, layout, ToReplica, writeGradients } from '../core/training/parallel';
import { Random } from '../core/random';
import { BatchGradients, Updater } from '../core/training/updater';
import { StepProfiler } from '../core/profile';

if (!parentPort) throw new Error('replicaWorker must run inside a worker_threads Worker');
const port = parentPort;
const post = (m: FromReplica) => port.postMessage(m);

let model: AnyModel | undefined;
let updater: Updater | undefined;
let index = 0;
let buffers: SharedArrayBuffer[] = [];
let offsets: number[] = [];
let pending: BatchGradients | undefined;
/** Set while the main thread profiles the replicas (`profile` messages). */
let profiler: StepProfiler | undefined;

async function handle(m: ToReplica): Promise<void> {
  switch (m.type) {
    case 'init': {
      await initBackend();
      const { init } = m;
      index = m.index;
      buffers = m.buffers;
      offsets = layout(m.shapes).offsets;
      model = createModel(init.model, init.srcVocabSize, init.tgtVocabSize, init.train.seed);
      model.params.import(init.weights);
      updater = new Updater(model, init.train, new Random(init.train.seed + 7919 * index));
      updater.learningRate = init.learningRate;
      if (init.optimizer) updater.optimizer.importState(init.optimizer);
      post({ type: 'ready' });
      break;
    }
    case 'step': {
      pending = m.batch ? updater!.gradients(m.batch) : { grads: [], loss: 0, tokens: 0 };
      if (pending.tokens > 0) writeGradients(pending.grads, buffers[index], offsets);
      post({ type: 'computed', loss: pending.loss, tokens: pending.tokens });
      break;
    }
    case 'combine': {
      const own = pending!;
      pending = undefined;
      tf.dispose(own.grads);
      updater!.applyCombined(combineShares(m.tokens, buffers, offsets));
      post({ type: 'applied' });
      break;
    }
    case 'lr':
      updater!.learningRate = m.learningRate;
      break;
    case 'profile':
      if (m.on && !profiler) {
        profiler = new StepProfiler();
        profiler.start();
        post({ type: 'profiled', profile: null });
      } else {
        const profile = profiler?.stop() ?? null;
        profiler = undefined;
        post({ type: 'profiled', profile });
      }
      break;
    case 'close':
      updater?.dispose();
      model?.dispose();
      break;
  }
}

// Messages are handled strictly one after another.
let chain = Promise.resolve();
/** When the last message was handled (performance.now()), for the idle time of a profiled replica. */
let idleSince = 0;
port.on('message', (m: ToReplica) => {
  chain = chain.then(() => {
    // Waiting for the main thread (its share, the other replicas) is synchronisation.
    if (profiler) profiler.chargeWall('sync', performance.now() - idleSince);
    return handle(m)
      .catch((e: unknown) => {
        const { message, detail } = describeError(e);
        post({ type: 'error', message, detail });
      })
      .finally(() => (idleSince = performance.now()));
  });
});
