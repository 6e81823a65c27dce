/**
 * A data-parallel replica (see `src/core/training/parallel.ts`): holds a copy
 * of the model, computes the gradients of its share of each batch, combines
 * every replica's gradients and applies Adam over its own range of the
 * parameters in the shared memory, and loads the new parameters before its
 * next share.
 */
import { parentPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../core/kernels/backend';
import { describeError } from '../core/errors';
import { AnyModel, createModel } from '../core/model/index';
import { FromReplica, SharedUpdate, ToReplica } from '../core/training/parallel';
import { Random } from '../core/random';
import { Updater } from '../core/training/updater';
import { region, StepProfiler } from '../core/profile';

if (!parentPort) throw new Error('replicaWorker must run inside a worker_threads Worker');
const port = parentPort;
const post = (m: FromReplica) => port.postMessage(m);

let model: AnyModel | undefined;
let updater: Updater | undefined;
let shared: SharedUpdate | undefined;
/** Set after an update: the shared parameters are newer than the model's. */
let stale = false;
/** Set while the main thread profiles the replicas (`profile` messages). */
let profiler: StepProfiler | undefined;

async function handle(m: ToReplica): Promise<void> {
  switch (m.type) {
    case 'init': {
      await initBackend();
      const { init } = m;
      model = createModel(init.model, init.srcVocabSize, init.tgtVocabSize, init.train.seed);
      model.params.import(init.weights);
      updater = new Updater(model, init.train, new Random(init.train.seed + 7919 * m.index));
      updater.learningRate = init.learningRate;
      // The step count comes from the trainer's state; the moments themselves are read from the shared memory.
      if (init.optimizer) updater.optimizer.importState(init.optimizer);
      shared = new SharedUpdate(m.memory, m.exchange, m.index, updater.optimizer, model.variables, false);
      post({ type: 'ready' });
      break;
    }
    case 'step': {
      if (stale) region('exchange', () => shared!.loadParameters(), { wall: true });
      stale = false;
      if (!m.batch) {
        post({ type: 'computed', loss: 0, tokens: 0 });
        break;
      }
      const g = updater!.gradients(m.batch, undefined, m.candidates);
      try {
        region('exchange', () => shared!.writeGradients(g.grads), { wall: true });
      } finally {
        tf.dispose(g.grads);
      }
      post({ type: 'computed', loss: g.loss, tokens: g.tokens });
      break;
    }
    case 'combine':
      post({ type: 'partial', sumSquares: region('exchange', () => shared!.combine(m.tokens), { wall: true }) });
      break;
    case 'update':
      stale = region('optimizer', () => shared!.update(m.norm), { wall: true });
      post({ type: 'updated' });
      break;
    case 'load':
      // Every replica has updated its range: the parameters are complete.
      if (stale) region('exchange', () => shared!.loadParameters(), { wall: true });
      stale = false;
      break;
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
