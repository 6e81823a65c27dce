import * as assert from 'assert';
import type { TrainingEvent } from '../src/core/training/events';
import { FollowedJob } from '../src/host/logic/followedJob';

const progress = (step: number) => ({ type: 'progress', backend: 'wasm', step, epoch: 1, loss: 1, perplexity: 2.7, tokensPerSecond: 1, etaSeconds: 1, learningRate: 1e-3, elapsedSeconds: 1 }) as TrainingEvent;
const started = (startStep: number) => ({ type: 'started', runDir: '/r', backend: 'wasm', parameters: 1, trainPairs: 1, validPairs: 1, testPairs: 1, srcVocabSize: 8, tgtVocabSize: 8, stepsPerEpoch: 1, totalSteps: 9, startStep, time: '' }) as TrainingEvent;
const done = { type: 'done', reason: 'cancelled' } as unknown as TrainingEvent;
const queued = { queued: true, note: 'Priority' };
const running = { queued: false, note: 'on node1' };

describe('FollowedJob: the job state a followed Slurm run shows', () => {
  it('a job the monitor still calls queued is shown running once the run writes a started attempt', () => {
    const j = new FollowedJob();
    assert.deepEqual(j.show(queued, []), queued, 'submitted, nothing written');
    assert.deepEqual(j.show(queued, []), queued);
    assert.deepEqual(j.show(queued, [started(0)]), { queued: false }, 'the task started before the next poll of Slurm');
    assert.deepEqual(j.show(queued, []), { queued: false }, 'stays running while the monitor lags');
    assert.deepEqual(j.show(running, [progress(5)]), running, "the monitor's own word once it has one");
  });

  it('requeued at a time limit: the last attempt\'s final events read in the same poll do not count; the next attempt\'s do', () => {
    const j = new FollowedJob();
    j.show(running, [started(0), progress(5)]);
    assert.deepEqual(j.show(queued, [progress(10), done]), queued, 'the old attempt wrote these before it requeued');
    assert.deepEqual(j.show(queued, []), queued);
    assert.deepEqual(j.show(queued, [done]), queued, 'a held done is no sign of a new attempt');
    assert.deepEqual(j.show(queued, [started(10), progress(15)]), { queued: false }, 'the new attempt started');
    assert.deepEqual(j.show(running, []), running);
    assert.deepEqual(j.show(queued, []), queued, 'requeued again: waits again until the next attempt writes');
  });

  it('an ended job (nothing to show) passes through', () => {
    const j = new FollowedJob();
    assert.equal(j.show(undefined, [progress(1)]), undefined);
  });
});
