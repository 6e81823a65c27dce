/**
 * Training worker: runs in a `worker_threads` Worker, one per training job,
 * so tfjs and the training loop never block the extension host. Speaks the
 * protocol in `src/protocol/worker.ts`: it receives one `start` (and
 * possibly a `cancel`), forwards every training event and ends with a `done`
 * event or an `error` message.
 */
import { parentPort } from 'worker_threads';
import type { HostToWorker, WorkerToHost } from '../protocol/worker';
import { train } from '../core/training/training';
import { describeError } from '../core/errors';

if (!parentPort) throw new Error('trainingWorker must run inside a worker_threads Worker');
const port = parentPort;
const post = (m: WorkerToHost) => port.postMessage(m);

/**
 * Test hook (e2e of a dying worker): with SEQ2SEQ_TEST_WORKER_EXIT_AT_STEP=N the worker
 * thread exits with code {@link TEST_EXIT_CODE} right after reporting step N, as a worker
 * killed mid-run would (no `done`, no `error` message). Unset in normal use.
 */
const exitAtStep = Number(process.env.SEQ2SEQ_TEST_WORKER_EXIT_AT_STEP ?? '');
const TEST_EXIT_CODE = 70;

let cancelled = false;
let started = false;

port.on('message', (msg: HostToWorker) => {
  switch (msg.type) {
    case 'cancel':
      cancelled = true;
      break;
    case 'start':
      if (started) {
        post({ type: 'error', message: 'this worker is already training a run; start a new worker for another job' });
        return;
      }
      started = true;
      train({
        config: msg.config,
        configPath: msg.configPath,
        outDir: msg.outDir,
        resume: msg.resume,
        listener: (event) => {
          post({ type: 'event', event });
          if (exitAtStep > 0 && event.type === 'progress' && event.step >= exitAtStep) setTimeout(() => process.exit(TEST_EXIT_CODE), 20);
        },
        shouldStop: () => cancelled,
      }).catch((e: unknown) => {
        const { message, detail } = describeError(e);
        post({ type: 'error', message, detail });
      });
      break;
  }
});
