/**
 * The PyTorch peer of `npm run bench` (bench/pytorch/seq2seq_peer.py) in its
 * data-parallel form (`--processes`, DistributedDataParallel over gloo): the
 * anchor the bench measures our two-thread scaling against. Pending where no
 * Python can import torch (see bench/README.md for installing it).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { syntheticBatches, writeBatchFile } from '../bench/lib/batches';
import { findPython, peerEnv, ROOT } from '../bench/lib/env';
import type { PeerResult } from '../bench/lib/report';

const PEER = path.join(ROOT, 'bench', 'pytorch', 'seq2seq_peer.py');

describe('PyTorch peer: data-parallel processes (the bench anchor)', function () {
  const found = findPython();
  let dir = '';
  let batchFile = '';

  before(async function () {
    if (!found) {
      this.skip();
      return;
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-peer-'));
    batchFile = await writeBatchFile(dir, syntheticBatches({ srcVocab: 40, tgtVocab: 40, length: 6, batchSize: 8, count: 3, seed: 3 }));
  });

  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  function peer(processes: number, candidates: number, steps: number): PeerResult & { processes: number } {
    const args = [PEER, '--batches', batchFile, '--embedding', '8', '--hidden', '8', '--encoder-hidden', '8', '--readout', 'maxout', '--readout-size', '8'];
    args.push('--threads', '1', '--processes', String(processes), '--softmax-candidates', String(candidates), '--warmup', '0', '--steps', String(steps), '--clip', '1');
    const r = spawnSync(found!.python, args, { cwd: ROOT, encoding: 'utf8', env: peerEnv(1), timeout: 120_000 });
    assert.equal(r.status, 0, `peer exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult & { processes: number };
  }

  for (const candidates of [0, 10]) {
    it(`two processes compute the loss of one process on the whole batch, then train on (softmax ${candidates ? `candidates ${candidates}` : 'full'})`, function () {
      this.timeout(180_000);
      const one = peer(1, candidates, 3);
      const two = peer(2, candidates, 3);
      assert.equal(one.processes, 1);
      assert.equal(two.processes, 2);
      // Same initial weights, and each process's share loss is scaled so the mean over processes is the batch's per-token loss.
      assert.ok(Math.abs(one.firstLoss - two.firstLoss) < 1e-5 * one.firstLoss, `first loss ${one.firstLoss} (1 process) vs ${two.firstLoss} (2)`);
      // DDP averages the gradients: after the same updates the losses still agree (float sums in another order).
      assert.ok(Math.abs(one.lastLoss - two.lastLoss) < 1e-3 * one.lastLoss, `last loss ${one.lastLoss} vs ${two.lastLoss}`);
      assert.ok(two.lastLoss < two.firstLoss, 'it trains');
      assert.equal(two.stepMs.n, 3);
    });
  }

  it('refuses fewer than one process', function () {
    this.timeout(60_000);
    const args = [PEER, '--batches', batchFile, '--embedding', '8', '--hidden', '8', '--encoder-hidden', '8', '--readout', 'deep', '--processes', '0'];
    const r = spawnSync(found!.python, args, { cwd: ROOT, encoding: 'utf8', env: peerEnv(1), timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--processes must be at least 1/);
  });
});
