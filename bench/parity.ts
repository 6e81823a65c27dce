/**
 * Learning parity with PyTorch: the project's model and the PyTorch peer
 * (`bench/pytorch/seq2seq_peer.py`) start from the SAME weights and train on
 * the SAME batches with the same Adam and clipping; this prints both
 * per-step losses side by side. Identical losses (to float32 rounding, which
 * slowly accumulates) show that the engine's forward pass, gradients and
 * optimiser are those of PyTorch, so any difference in what a run reaches in
 * a given time is throughput, not learning.
 *
 *   npx tsx bench/parity.ts [--steps 100] [--batch 64] [--hidden 256] [--lr 0.001] [--every 10]
 *                           [--readout deep|maxout|attentional] [--encoder-hidden n] [--readout-size n]
 *   npx tsx bench/parity.ts --pytorch-minutes 10     # what the PyTorch peer reaches in 10 minutes
 *
 * The model is the example config's (GRU, bidirectional encoder, Bahdanau
 * attention, bridge `both`, its embedding size) with `--hidden` decoder
 * units; by default the encoder units per direction scale with `--hidden` as
 * in the example (256 per direction for hidden 256), the readout is the
 * example's and the maxout readout has min(example's readoutSize, hidden)
 * units. `bench/pytorch/parity.py` builds the peer from the exported weights'
 * names and shapes, so every readout and encoder size is checked as it is.
 *
 * With `--pytorch-minutes M` only the peer trains, for M minutes of wall
 * time on one thread (cycling through one epoch of batches); its weights are
 * then loaded into this engine's model and evaluated on the held-out test
 * split with this engine's greedy decoder and sacreBLEU-compatible BLEU.
 *
 * Data: the Tatoeba example (`examples/tatoeba-fra-eng.seq2seq.json`, read
 * from `../shared/data/tatoeba-fra-eng/fra-eng.tsv`). Needs a python3 that
 * can import torch (see bench/README.md). Full softmax (no candidates).
 */
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { initBackend } from '../src/core/kernels/backend';
import { encoderUnits, type ReadoutKind } from '../src/core/config/config';
import { loadConfig } from '../src/core/config/configLoader';
import { makeBatches } from '../src/core/data/batching';
import { loadDataset } from '../src/core/data/dataset';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { Random } from '../src/core/random';
import { Updater } from '../src/core/training/updater';
import { evaluate } from '../src/core/metrics/evaluation';
import { writeBatchFile } from './lib/batches';
import { peerEnv } from './lib/env';

const ROOT = path.resolve(__dirname, '..');
const READOUTS: readonly ReadoutKind[] = ['deep', 'maxout', 'attentional'];

async function main(): Promise<void> {
  const o = new Command()
    .name('npx tsx bench/parity.ts')
    .description('Per-step training loss of this engine and of the PyTorch peer from identical weights on identical batches')
    .option('--steps <n>', 'training steps', '100')
    .option('--batch <n>', 'sentences per batch', '64')
    .option('--hidden <n>', 'model.hiddenSize', '256')
    .option('--encoder-hidden <n>', 'model.encoderHiddenSize: encoder units per direction (default: the example\'s, scaled like --hidden)')
    .option('--readout <kind>', `model.readout: ${READOUTS.join(', ')} (default: the example's)`)
    .option('--readout-size <n>', 'model.readoutSize: units of the maxout readout (default: min(the example\'s, --hidden))')
    .option('--lr <x>', 'Adam learning rate', '0.001')
    .option('--every <n>', 'print every n-th step', '10')
    .option('--python <exe>', 'python with torch', 'python3')
    .option('--pytorch-minutes <m>', 'only train the PyTorch peer, for this many minutes, then evaluate its weights here', '0')
    .parse(process.argv)
    .opts<{ steps: string; batch: string; hidden: string; encoderHidden?: string; readout?: string; readoutSize?: string; lr: string; every: string; python: string; pytorchMinutes: string }>();
  const minutes = Number(o.pytorchMinutes);
  const steps = Number(o.steps);
  const lr = Number(o.lr);
  await initBackend('wasm');
  const { config } = await loadConfig(path.join(ROOT, 'examples', 'tatoeba-fra-eng.seq2seq.json'));
  const example = { ...config.model };
  const hidden = Number(o.hidden);
  const readout = (o.readout ?? example.readout) as ReadoutKind;
  if (!READOUTS.includes(readout)) throw new Error(`--readout: expected one of ${READOUTS.join(', ')} (got ${readout})`);
  const m = config.model;
  if (m.cell !== 'gru' || m.layers !== 1 || !m.bidirectional || m.attention !== 'bahdanau' || m.bridge !== 'both' || m.bridgeFrom !== 'final') {
    throw new Error('the PyTorch peer copies one GRU layer, a bidirectional encoder, Bahdanau attention and bridge both from the final states only: the example config has changed');
  }
  m.hiddenSize = hidden;
  m.encoderHiddenSize = o.encoderHidden !== undefined ? Number(o.encoderHidden) : Math.max(1, Math.round((encoderUnits(example) * hidden) / example.hiddenSize));
  m.readout = readout;
  m.readoutSize = o.readoutSize !== undefined ? Number(o.readoutSize) : Math.min(example.readoutSize, hidden);
  m.dropout = 0;
  const shape = `hidden ${hidden}, encoder ${encoderUnits(m)} per direction, readout ${readout}${readout === 'maxout' ? ` ${m.readoutSize}` : ''}, embedding ${m.embeddingSize}`;
  config.train.batchSize = Number(o.batch);
  const ds = await loadDataset(config);
  const epoch = makeBatches(ds.train.encoded, config.train.batchSize, { shuffle: true, random: new Random(1), bucket: true });
  const batches = minutes > 0 ? epoch : epoch.slice(0, steps);
  const model = new Seq2SeqModel(config.model, ds.srcVocab.size, ds.tgtVocab.size, 42);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-parity-'));
  try {
    const weights = (await model.params.export()).map((w) => ({ name: w.name, shape: w.shape, values: Array.from(w.values) }));
    await fs.writeFile(path.join(dir, 'weights.json'), JSON.stringify(weights));
    const batchFile = await writeBatchFile(dir, {
      name: 'parity',
      kind: 'real',
      srcVocabSize: ds.srcVocab.size,
      tgtVocabSize: ds.tgtVocab.size,
      batchSize: config.train.batchSize,
      batches: batches.map((b) => ({ pairs: b.indices.map((i) => ds.train.encoded[i]) })),
      note: `${batches.length} Tatoeba batches for the parity check`,
    });
    const peerArgs = [path.join(__dirname, 'pytorch', 'parity.py'), '--batches', batchFile, '--weights', path.join(dir, 'weights.json'), '--lr', String(lr), '--clip', String(config.train.clipNorm)];
    if (minutes > 0) {
      const dump = path.join(dir, 'trained.json');
      const r = spawnSync(
        o.python,
        [...peerArgs, '--minutes', String(minutes), '--dump', dump],
        { encoding: 'utf8', maxBuffer: 1 << 28, env: peerEnv(1) },
      );
      if (r.status !== 0) throw new Error(`PyTorch peer failed (${o.python}): ${r.stderr || r.error?.message}`);
      const losses = JSON.parse(r.stdout) as number[];
      const trained = JSON.parse(await fs.readFile(dump, 'utf8')) as { name: string; shape: number[]; values: number[] }[];
      model.params.import(trained.map((w) => ({ name: w.name, shape: w.shape, values: Float32Array.from(w.values) })));
      const test = evaluate(model, ds.test.encoded, ds.test.pairs.map((p) => p.tgt), ds.tgtVocab, ds.tgtTokenizer, {
        beamSize: 1,
        lengthPenalty: config.train.lengthPenalty,
        maxOutputRatio: config.train.maxOutputRatio,
        batchSize: 64,
      });
      console.log(
        `PyTorch peer, ${minutes} min on one thread: ${losses.length} steps of ${o.batch} (${shape}, Adam ${lr}, full softmax), ` +
          `last training loss ${losses[losses.length - 1]?.toFixed(3)}; its weights evaluated here on the ${test.sentences} test pairs: ` +
          `perplexity ${test.perplexity.toFixed(1)}, BLEU ${test.bleu.toFixed(2)} (greedy)`,
      );
      return;
    }
    const updater = new Updater(model, { learningRate: lr, clipNorm: config.train.clipNorm, teacherForcing: 1, softmaxCandidates: 0 }, new Random(3));
    const ours = batches.map((b) => updater.step(b));
    const r = spawnSync(
      o.python,
      peerArgs,
      { encoding: 'utf8', maxBuffer: 1 << 26, env: peerEnv(1) },
    );
    if (r.status !== 0) throw new Error(`PyTorch peer failed (${o.python}): ${r.stderr || r.error?.message}`);
    const torch = JSON.parse(r.stdout) as number[];
    console.log(`model: ${model.params.count} parameters (${shape}), batch ${o.batch}, Adam lr ${lr}, clip ${config.train.clipNorm}, full softmax, wasm vs PyTorch`);
    console.log('| step | loss (this engine) | loss (PyTorch) | |difference| |');
    console.log('|---|---|---|---|');
    let worst = 0;
    ours.forEach((l, i) => {
      const d = Math.abs(l - torch[i]);
      worst = Math.max(worst, d);
      if (i % Number(o.every) === 0 || i === ours.length - 1) console.log(`| ${i + 1} | ${l.toFixed(6)} | ${torch[i].toFixed(6)} | ${d.toExponential(1)} |`);
    });
    console.log(`largest difference over ${ours.length} steps: ${worst.toExponential(2)} nats`);
  } finally {
    model.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
