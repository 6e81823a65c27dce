/**
 * Child process of `npm run bench:quality`: trains the project's model on the
 * batches of a batch file, one thread, and prints the validation perplexity
 * after each of the job's steps as one JSON line
 * (`{"step", "perplexity", "seconds"}`; seconds = training time so far).
 * Usage (done by `bench/quality.ts`):
 *   node --require tsx/cjs bench/lib/projectCurve.ts <job.json>
 */
import { promises as fs } from 'fs';
import { initBackend } from '../../src/core/kernels/backend';
import type { ModelConfig, TrainConfig } from '../../src/core/config/config';
import type { EncodedPair } from '../../src/core/data/batching';
import { teacherForcedLoss } from '../../src/core/metrics/evaluation';
import { Seq2SeqModel } from '../../src/core/model/seq2seq';
import { Random } from '../../src/core/random';
import { Updater } from '../../src/core/training/updater';
import { prepare, readBatchFile } from './batches';

/** What the child trains. */
export interface ProjectCurveJob {
  model: ModelConfig;
  train: TrainConfig;
  /** Batch file (`bench/lib/batches.ts`): its batches are the steps, in order. */
  batchFile: string;
  /** JSON file with the validation pairs `[{src, tgt}]`. */
  validFile: string;
  /** Steps after which to print the validation perplexity; the last is the number of steps. */
  evalSteps: number[];
}

async function main(): Promise<void> {
  const job = JSON.parse(await fs.readFile(process.argv[2], 'utf8')) as ProjectCurveJob;
  await initBackend('wasm');
  const file = await readBatchFile(job.batchFile);
  const batches = prepare(file);
  const valid = JSON.parse(await fs.readFile(job.validFile, 'utf8')) as EncodedPair[];
  const last = job.evalSteps[job.evalSteps.length - 1];
  if (batches.length < last) throw new Error(`${job.batchFile}: ${batches.length} batches for ${last} steps`);
  const model = new Seq2SeqModel(job.model, file.srcVocabSize, file.tgtVocabSize, job.train.seed);
  const updater = new Updater(model, job.train, new Random(job.train.seed + 2));
  let seconds = 0;
  for (let s = 1; s <= last; s++) {
    const t0 = Date.now();
    updater.step(batches[s - 1].batch);
    seconds += (Date.now() - t0) / 1000;
    if (job.evalSteps.includes(s)) {
      const perplexity = teacherForcedLoss(model, valid, 128).perplexity;
      console.log(JSON.stringify({ step: s, perplexity, seconds }));
    }
  }
  updater.dispose();
  model.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
