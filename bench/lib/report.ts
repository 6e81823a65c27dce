/**
 * Result shapes of `npm run bench` (`bench/results/latest.json`) and their
 * Markdown rendering (`bench/results/latest.md`). Pure: no I/O.
 */
import type { TrainResult, TranslateResult, ActivationResult, CeilingRow, CoresResult } from './jobs';
import { PROFILE_CATEGORIES, type ProfileCategory, type StepProfile } from '../../src/core/profile';
import { ratio, type Summary } from './stats';

/** What the PyTorch peer prints (`bench/pytorch/seq2seq_peer.py`). */
export interface PeerResult {
  torch: string;
  python: string;
  threads: number;
  /** Data-parallel processes (DistributedDataParallel); 1 = one process. */
  processes?: number;
  parameters: number;
  stepMs: Summary;
  tokensPerSec: number;
  sentencesPerSec: number;
  firstLoss: number;
  lastLoss: number;
}

/** One training measurement (a row of the training tables). */
export interface TrainingRow {
  id: string;
  config: string;
  backend: string;
  simd: boolean;
  /** `synthetic` or `tatoeba`. */
  data: string;
  dataNote: string;
  /** Set for rows of the sequence-length / vocabulary sweeps, e.g. `seqLen=40`. */
  sweep?: string;
  threads: number;
  softmaxCandidates: number;
  kernels: 'project' | 'stock';
  model: { embeddingSize: number; hiddenSize: number; srcVocab: number; tgtVocab: number; batchSize: number };
  parameters: number;
  warmup: number;
  steps: number;
  stepMs?: Summary;
  /** Target tokens per second (non-padding target positions incl. `<eos>`). */
  tokensPerSec?: number;
  tokensPerBatch?: number;
  /** Loss of the first and last timed step. */
  loss?: [number, number];
  profile?: TrainResult['profile'];
  /** Peak RSS (MB) of the process that ran this row's group of cases. */
  peakRssMb: number;
  pytorch?: PeerResult;
  pytorchError?: string;
  /** Our tokens/s ÷ PyTorch's on the same batches, threads and softmax; null without a peer. */
  ratioToPyTorch: number | null;
  /** PyTorch on the same batches and softmax at one thread and at the machine's cores (whatever this row's threads). */
  pytorchThreads?: { threads: number; tokensPerSec: number; stepMs: number }[];
  /** Data-parallel rows: PyTorch under DistributedDataParallel over the machine's cores, one thread each. */
  pytorchDdp?: PeerResult;
  /** Our tokens/s ÷ the best of `pytorchThreads` (PyTorch at the thread count a user would pick); null without a peer. */
  ratioToPyTorchBest?: number | null;
  /** The form of the project's SIMD kernels that ran (relaxed SIMD, plain SIMD or none). */
  simdForm?: 'relaxed' | 'simd' | 'none';
  /** The largest share of the CPUs other processes used during a timed step of this row (null where not measurable). */
  foreignCpu?: number | null;
  /** Timed steps run, discarded ones (`--max-foreign`) included. */
  stepsSeen?: number;
  error?: string;
}

/** One lever, everything else fixed. */
export interface Lever {
  config: string;
  lever: string;
  data: string;
  fromTokensPerSec: number;
  toTokensPerSec: number;
  /** to / from. */
  speedup: number;
}

/** Data-parallel scaling and the PyTorch comparison of one configuration, data and softmax (target tokens/s). */
export interface ScalingRow {
  config: string;
  data: string;
  softmaxCandidates: number;
  parameters: number;
  oneThread: number | null;
  /** `train.threads` 2 (DataParallel). */
  twoThreads: number | null;
  twoOverOne: number | null;
  /** PyTorch on the same batches and softmax at one thread and at the machine's cores. */
  pytorch: { threads: number; tokensPerSec: number; stepMs: number }[];
  pytorchBest: number | null;
  /** Ours on two threads ÷ PyTorch's best. */
  twoThreadsOverPyTorchBest: number | null;
  /**
   * PyTorch's own data parallelism on the same batches: DistributedDataParallel
   * over as many one-thread processes as the machine has cores, and its
   * speed-up over PyTorch on one thread (the field's anchor for "2 ÷ 1").
   */
  pytorchDdp?: { processes: number; tokensPerSec: number; overOneThread: number | null };
  simdForm?: 'relaxed' | 'simd' | 'none';
}

/** Issue 17's targets: two threads ≥ 1.8× one on the default model; two threads ≥ 1.0× PyTorch's best. */
export const SCALING_TARGETS = { twoOverOne: 1.8, overPyTorchBest: 1.0 };

export interface BenchResults {
  format: 'seq2seq-lab/bench@1';
  machine: { cpu: string; cores: number; memoryGb: number; platform: string; node: string; tfjs: string; date: string; commit?: string };
  settings: { maxForeign?: number; quick: boolean; configs: string[]; defaultModel: { embeddingSize: number; hiddenSize: number }; learningRate: number; clipNorm: number; batchSize: number; warmup: number; steps: number; heavyWarmup: number; heavySteps: number; dpWarmup?: number; softmaxCandidates: number };
  pytorch: { available: boolean; torch?: string; python?: string; note: string };
  notes: string[];
  /** Per configuration, data and softmax: one and two threads, PyTorch at one thread and at the machine's cores, the ratios (see {@link ScalingRow}). */
  summary: ScalingRow[];
  training: TrainingRow[];
  levers: Lever[];
  translation?: TranslateResult & { peakRssMb: number };
  translationError?: string;
  activation?: ActivationResult;
  /** GFLOP/s of large square products (part `profile`). */
  ceiling?: CeilingRow[];
  /** Two busy cores against one (part `profile`). */
  cores?: CoresResult;
  /** The step profile recorded before issue 17's changes (`bench/results/profile-before.json`), shown beside this run's. */
  profileBefore?: ProfileRecord;
  /** Which parts ran (`--only`); absent = all. */
  parts?: string[];
  /** 1-minute load average when the run started and ended (other processes sharing the cores inflate every time). */
  loadAverage?: { start: number; end: number };
  durationSec: number;
}

/** A step profile kept for comparison (`bench/results/profile-before.json`): the profiled rows of one run and its ceiling. */
export interface ProfileRecord {
  /** What the record is, e.g. the commit it measured and why. */
  note: string;
  machine: BenchResults['machine'];
  loadAverage?: BenchResults['loadAverage'];
  ceiling?: CeilingRow[];
  rows: TrainingRow[];
}

/** Issue 4 latency targets (ms). */
export const TARGETS = { greedy10Ms: 20, beam10Ms: 100, loadMs: 1000, activationMs: 50 };

const verdict = (value: number | undefined, limit: number) => (value == null || !Number.isFinite(value) ? '–' : value <= limit ? `**pass** (≤ ${limit})` : `**FAIL** (> ${limit})`);

const f0 = (x: number | undefined | null) => (x == null || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const f1 = (x: number | undefined | null) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | undefined | null) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(2));
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const softmaxLabel = (k: number) => (k ? `cand ${k}` : 'full');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

/** PyTorch's best tokens/s of a row with its thread count, e.g. `2,800 (1 thr)`. */
function bestPeer(r: TrainingRow): string {
  const best = (r.pytorchThreads ?? []).reduce<{ threads: number; tokensPerSec: number } | undefined>((a, x) => (!a || x.tokensPerSec > a.tokensPerSec ? x : a), undefined);
  return best ? `${f0(best.tokensPerSec)} (${best.threads} thr)` : '–';
}

function trainingTable(rows: TrainingRow[], withSweep: boolean): string {
  return table(
    [
      ...(withSweep ? ['sweep'] : ['config', 'params']),
      'backend',
      'data',
      'threads',
      'softmax',
      'kernels',
      'ms/step (median)',
      'p95',
      'target tok/s',
      'PyTorch tok/s (same threads)',
      'ratio',
      'PyTorch best tok/s',
      'ratio to best',
      'SIMD',
      "others' CPU",
      'peak RSS MB',
    ],
    rows.map((r) => [
      ...(withSweep ? [r.sweep ?? ''] : [r.config, r.parameters ? `${(r.parameters / 1e6).toFixed(2)} M` : '–']),
      r.backend,
      r.data,
      String(r.threads),
      softmaxLabel(r.softmaxCandidates),
      r.kernels,
      r.error ? `error: ${r.error}` : f1(r.stepMs?.median),
      f1(r.stepMs?.p95),
      f0(r.tokensPerSec),
      f0(r.pytorch?.tokensPerSec),
      r.ratioToPyTorch == null ? '–' : f2(r.ratioToPyTorch),
      bestPeer(r),
      r.ratioToPyTorchBest == null ? '–' : f2(r.ratioToPyTorchBest),
      r.simdForm ?? '–',
      r.foreignCpu == null ? '–' : `${pct(r.foreignCpu)}${r.stepsSeen && r.stepsSeen > r.steps ? ` (${r.stepsSeen - r.steps} steps dropped)` : ''}`,
      f0(r.peakRssMb),
    ]),
  );
}

/** The whole report as Markdown. */
export function renderMarkdown(res: BenchResults): string {
  const m = res.machine;
  const s = res.settings;
  const out: string[] = [];
  out.push(`# Seq2Seq Lab benchmark${s.quick ? ' (quick)' : ''}\n\n`);
  out.push(
    `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB · ${m.platform} · Node ${m.node} · tfjs ${m.tfjs} · ` +
      (res.pytorch.available ? `PyTorch ${res.pytorch.torch}` : 'no PyTorch') +
      ` · ${m.date.slice(0, 16).replace('T', ' ')} UTC${m.commit ? ` · commit ${m.commit}` : ''} · ${Math.round(res.durationSec)} s\n\n`,
  );
  if (res.parts) out.push(`Parts run: ${res.parts.join(', ')} (\`--only\`).\n\n`);
  if (res.loadAverage) {
    // Only the start tells about other processes: the end includes the benchmark's own (one or two busy cores).
    const busy = res.loadAverage.start > m.cores * 0.5;
    out.push(
      `1-minute load average ${res.loadAverage.start.toFixed(2)} before the run, ${res.loadAverage.end.toFixed(2)} at its end (${m.cores} cores; the end includes the benchmark's own processes)` +
        `${busy ? ': **measured under load** — other processes were busy when it started, times here may be inflated' : ''}.\n\n`,
    );
  }
  out.push(
    `Batch ${s.batchSize} sentences; ms/step = median over ${s.steps} timed steps after ${s.warmup} warm-up steps ` +
      `(large config and sweeps: ${s.heavySteps} after ${s.heavyWarmup}${s.dpWarmup ? `; two-thread rows after ${s.dpWarmup} warm-up steps` : ''}${s.quick ? '' : '; tatoeba rows: every one of its batches once'}); ` +
      `warm-up steps take batches from the end, timed steps the batches from the first on (a dropped step is taken again on its batch), so every row, ours and PyTorch's, times the same batches; a step is forward + backward + clipping + Adam. ` +
      `target tok/s = non-padding target tokens (incl. <eos>) per second of step time. ratio = our tok/s ÷ PyTorch tok/s on the same batches, ` +
      `threads (torch.set_num_threads) and softmax; PyTorch best = the better of PyTorch at 1 thread and at the machine's cores, ratio to best = our tok/s ÷ that. ` +
      `cand k = train.softmaxCandidates k; threads 2 = DataParallel (train.threads 2). SIMD = the form of the project's kernels that ran (relaxed: relaxed SIMD, fused multiply–add; simd: multiply then add). ` +
      `others' CPU = the largest share of the machine's CPUs other processes used during one of the row's timed steps (\`bench/lib/foreign.ts\`)` +
      (s.maxForeign && s.maxForeign < 1 ? `; steps above ${pct(s.maxForeign)} were dropped and more taken (\`--max-foreign ${s.maxForeign}\`, ours and PyTorch's alike).\n\n` : '.\n\n'),
  );
  for (const n of res.notes) out.push(`> ${n}\n\n`);

  if (res.summary.length) {
    out.push('\n## Summary: data-parallel scaling and PyTorch (target tokens/s)\n\n');
    out.push(
      `Ours on one thread and on two data-parallel threads (\`train.threads\` 2), and PyTorch on the same batches and softmax at one thread and at the machine's ${m.cores} cores (\`torch.set_num_threads\`); ` +
        `"vs PyTorch best" = ours on two threads ÷ the better of PyTorch's two. Targets (issue 17, default model): two threads ≥ ${SCALING_TARGETS.twoOverOne}× one, and ≥ ${SCALING_TARGETS.overPyTorchBest.toFixed(1)}× PyTorch's best.\n\n`,
    );
    const verdictAt = (x: number | null, min: number, applies: boolean) => (x == null ? '–' : `${f2(x)}${applies ? (x >= min ? ' **pass**' : ' **FAIL**') : ''}`);
    const peerAt = (r: ScalingRow, t: number) => f0(r.pytorch.find((x) => x.threads === t)?.tokensPerSec);
    const peerThreads = [...new Set(res.summary.flatMap((r) => r.pytorch.map((x) => x.threads)))].sort((a, b) => a - b);
    out.push(
      table(
        ['config', 'data', 'softmax', 'SIMD', '1 thread', '2 threads', '2 ÷ 1', ...peerThreads.map((t) => `PyTorch ${t} thread${t > 1 ? 's' : ''}`), 'vs PyTorch best'],
        res.summary.map((r) => [
          r.config,
          r.data,
          softmaxLabel(r.softmaxCandidates),
          r.simdForm ?? '–',
          f0(r.oneThread),
          f0(r.twoThreads),
          verdictAt(r.twoOverOne, SCALING_TARGETS.twoOverOne, r.config === 'default'),
          ...peerThreads.map((t) => peerAt(r, t)),
          verdictAt(r.twoThreadsOverPyTorchBest, SCALING_TARGETS.overPyTorchBest, r.config === 'default'),
        ]),
      ),
    );
    const ddp = res.summary.filter((r) => r.pytorchDdp);
    if (ddp.length) {
      out.push(
        `\nThe anchor for "2 ÷ 1": PyTorch's own data parallelism, DistributedDataParallel (gloo) over ${ddp[0].pytorchDdp!.processes} processes of one thread each, ` +
          'each training its contiguous share of every batch, the gradients all-reduced in buckets during the backward pass (`bench/pytorch/seq2seq_peer.py --processes`).\n\n',
      );
      out.push(
        table(
          ['config', 'data', 'softmax', 'ours 2 ÷ 1', 'PyTorch 1 thread', `PyTorch DDP ${ddp[0].pytorchDdp!.processes} processes`, 'PyTorch DDP ÷ 1 thread', 'ours 2 threads ÷ PyTorch DDP'],
          ddp.map((r) => [
            r.config,
            r.data,
            softmaxLabel(r.softmaxCandidates),
            f2(r.twoOverOne),
            peerAt(r, 1),
            f0(r.pytorchDdp!.tokensPerSec),
            f2(r.pytorchDdp!.overOneThread),
            f2(ratio(r.twoThreads, r.pytorchDdp!.tokensPerSec)),
          ]),
        ),
      );
    }
  }

  const main = res.training.filter((r) => !r.sweep);
  if (main.length) {
    out.push('\n## Training speed\n\n');
    out.push(trainingTable(main, false));
    const dataNotes = [...new Map(res.training.map((r) => [r.data === 'synthetic' ? `synthetic (${r.model.tgtVocab})` : r.data, r.dataNote])).entries()];
    out.push('\n' + dataNotes.map(([k, v]) => `- **${k}**: ${v}`).join('\n') + '\n');
  }

  if (res.levers.length) {
    out.push('\n## Levers, one at a time\n\n');
    out.push(
      table(
        ['config', 'lever', 'data', 'tok/s before', 'tok/s after', 'speed-up'],
        res.levers.map((l) => [l.config, l.lever, l.data, f0(l.fromTokensPerSec), f0(l.toTokensPerSec), `${l.speedup.toFixed(2)}×`]),
      ),
    );
  }

  const sweeps = res.training.filter((r) => r.sweep || (r.config === 'default' && r.backend === 'wasm' && r.data === 'synthetic' && r.threads === 1 && r.kernels === 'project'));
  if (res.training.some((r) => r.sweep)) {
    const lenRows = sweeps.filter((r) => (r.sweep?.startsWith('seqLen') || !r.sweep) && r.softmaxCandidates === s.softmaxCandidates).map((r) => ({ ...r, sweep: r.sweep ?? 'seqLen=10' }));
    const vocabRows = sweeps.filter((r) => r.sweep?.startsWith('tgtVocab') || !r.sweep).map((r) => ({ ...r, sweep: r.sweep ?? `tgtVocab=${r.model.tgtVocab}` }));
    const byNum = (a: TrainingRow, b: TrainingRow) =>
      parseInt(a.sweep!.split('=')[1], 10) - parseInt(b.sweep!.split('=')[1], 10) || a.sweep!.length - b.sweep!.length || a.softmaxCandidates - b.softmaxCandidates;
    out.push(`\n## Step time vs sequence length (default model, wasm, 1 thread, cand ${s.softmaxCandidates})\n\n`);
    out.push(
      'Synthetic batches with every sentence exactly this long on both sides, of 128 sentences unless the row names another size ' +
        '(the wasm heap is limited to 4 GB: a step at 80 tokens needs about 1.2 GB per 32 sentences, so 128 do not fit; training says so before its first step).\n\n',
    );
    out.push(trainingTable(lenRows.sort(byNum), true));
    out.push('\n## Step time vs target vocabulary (default model, wasm, 1 thread, 10-token sentences)\n\n');
    out.push(trainingTable(vocabRows.sort(byNum), true));
  }

  const profiled = res.training.filter((r) => r.profile);
  if (profiled.length || res.ceiling) {
    out.push('\n## Where a training step spends its time (step profile)\n\n');
    out.push(PROFILE_LEGEND);
    if (res.ceiling) out.push(ceilingTable(res.ceiling));
    if (profiled.length) {
      out.push(`\nThis run (${profiled[0].profile!.steps} profiled steps after the timed ones):\n\n`);
      out.push(profileTable(profiled, res.ceiling));
    }
    if (res.cores) out.push(coresSection(res.cores));
    const before = res.profileBefore;
    if (before) {
      const bm = before.machine;
      out.push(
        `\nBefore (${before.note}; ${bm.cpu}, ${bm.date.slice(0, 16).replace('T', ' ')} UTC` +
          `${before.loadAverage ? `, 1-minute load ${before.loadAverage.start.toFixed(2)} at its start` : ''}):\n\n`,
      );
      if (before.ceiling) out.push(ceilingTable(before.ceiling));
      out.push('\n' + profileTable(before.rows, before.ceiling));
    }
  }

  if (res.translation) {
    const t = res.translation;
    out.push('\n## Translation latency (default model shape, wasm, one sentence)\n\n');
    out.push(
      'Random weights with the `<eos>` logit suppressed, so every output runs to the length limit ceil(1·(n+1))+5 (maxOutputRatio 1); ' +
        '`Translator.translate` as the extension calls it (top-5 candidates and attention recorded). ' +
        'engine `fast` = `src/core/decoding/inference.ts` (the default) on its WebAssembly SIMD kernels (`src/core/kernels/simd.ts`); `fast-nosimd` = the same engine with `{ simd: false }` (its fallback: JavaScript loops and `tf.matMul`); `tensor` = the training graph\'s ops (the previous path). The last two are for comparison. ' +
        `Targets (issue 4, 10-token sentence, default engine): greedy ≤ ${TARGETS.greedy10Ms} ms median, beam 5 ≤ ${TARGETS.beam10Ms} ms, model load ≤ ${TARGETS.loadMs} ms.\n\n`,
    );
    out.push(
      table(
        ['engine', 'source tokens', 'output tokens', 'search', 'median ms', 'p95 ms', 'ms per output token', 'target'],
        t.latency.map((l) => {
          const engine = l.engine ?? 'fast';
          const target = engine === 'fast' && l.srcTokens === 10 ? verdict(l.ms.median, l.beam > 1 ? TARGETS.beam10Ms : TARGETS.greedy10Ms) : '';
          return [engine, String(l.srcTokens), String(l.outputTokens), l.beam > 1 ? `beam ${l.beam}` : 'greedy', f1(l.ms.median), f1(l.ms.p95), f2(l.ms.median / l.outputTokens), target];
        }),
      ),
    );
    out.push(
      `\nModel load (\`Translator.load\` of a saved run, ${(t.parameters / 1e6).toFixed(2)} M parameters, weights.bin ${(t.weightsBytes / 2 ** 20).toFixed(1)} MiB): ` +
        `first ${f1(t.loadFirstMs)} ms, then median ${f1(t.loadMs.median)} ms (p95 ${f1(t.loadMs.p95)}) — ${verdict(t.loadMs.median, TARGETS.loadMs)}. Peak RSS of that process ${f0(t.peakRssMb)} MB.\n` +
        `The first translation after load (JIT still cold; the table above excludes ${t.warmUps} warm-up translations per row) took ${f1(t.firstTranslateMs)} ms.\n`,
    );
  } else if (res.translationError) {
    out.push(`\nTranslation latency: not measured (${res.translationError}).\n`);
  }

  if (res.activation) {
    const a = res.activation;
    out.push('\n## Extension activation\n\n');
    out.push(
      '`dist/extension.js` loaded in a fresh plain-Node process with a stand-in `vscode` module (`bench/lib/activationProbe.cjs`): ' +
        `time of \`require\` + \`activate(context)\`, over ${a.runs} processes (VS Code's own extension-host overhead not included). ` +
        `Targets (issue 4): activation ≤ ${TARGETS.activationMs} ms; TensorFlow.js never loaded on the extension host.\n\n`,
    );
    if (a.error) out.push(`Activation: error (${a.error}).\n`);
    out.push(
      table(
        ['measure', 'value', 'target'],
        [
          ['require + activate, median ms', f1(a.totalMs.median), verdict(a.totalMs.median, TARGETS.activationMs)],
          ['require + activate, p95 ms', f1(a.totalMs.p95), ''],
          ['require only, median ms', f1(a.requireMs.median), ''],
          ['activate() only, median ms', f2(a.activateMs.median), ''],
          ['commands registered', String(a.registeredCommands), ''],
          ['tfjs modules loaded by require + activate', a.tfjsModules.length ? a.tfjsModules.join(', ') : 'none', a.tfjsModules.length ? '**FAIL**' : '**pass**'],
          [`bundle mentions tfjs (${f0(a.bundleBytes / 1024)} KiB)`, a.bundleMentionsTfjs ? 'yes' : 'no', a.bundleMentionsTfjs ? '**FAIL**' : '**pass**'],
        ],
      ),
    );
  }
  return out.join('');
}

const CATEGORY_LABELS: Record<ProfileCategory, string> = {
  matmul: 'matrix products',
  cell: 'recurrent cell',
  attention: 'attention',
  embedding: 'embeddings',
  readout: 'readout + output',
  loss: 'loss',
  optimizer: 'optimizer',
  exchange: 'data-parallel exchange',
  sync: 'waiting for the replica',
  other: 'other kernels',
};

const PROFILE_LEGEND =
  'Per training step of thread 0 (the trainer\'s thread; with 2 threads it trains on half the batch and waits for the replica), from `src/core/profile.ts`: ' +
  'every kernel timed without read-backs and charged to a category — *matrix products* (`BatchMatMul`, `_FusedMatMul`, forward and backward), ' +
  'else the model region that ran it or whose gradient it is: *recurrent cell* (the GRU/LSTM gates\' element-wise work and the padding mask), *attention* (scores, softmax, context), ' +
  '*embeddings* (lookups and their gradient), *readout + output* (maxout, output projection\'s bias and candidate rows), *loss* (the fused cross-entropy, its JavaScript included), ' +
  '*optimizer* (clipping and Adam, its JavaScript included), *data-parallel exchange* (copying the gradient share to the shared memory, combining the shares, copying the new parameters back), ' +
  '*waiting for the replica* (from sending a message to the replica to its answer, beyond thread 0\'s own work; the record before issue 17 has no exchange column: its waiting includes the exchange), *other kernels* (reshapes, stacks, concatenations). ' +
  '*outside kernels* = the rest of the step\'s wall time: TensorFlow.js dispatch, the gradient tape, disposal. ' +
  'Each cell: ms per step (share of the step). *replica waits* = the second thread\'s idle share. ' +
  'GFLOP/step counts 2·M·K·N per product of every thread; *matmul GFLOP/s* = thread 0\'s product FLOPs ÷ its time in products, also as a share of the ceiling ' +
  '(the best GFLOP/s of the project\'s kernels on a [1024, 1024] × [1024, 1024] product below; the step\'s smaller products can run a little above it, where their operands stay in cache); *step GFLOP/s* = all product FLOPs ÷ step wall time.\n\n';

function ceilingTable(rows: CeilingRow[]): string {
  const t = table(
    ['matrix-product kernel', 'n', 'ms per [n,n]×[n,n]', 'GFLOP/s'],
    rows.map((r) => [r.label, String(r.n), r.error ? `error: ${r.error}` : f1(r.ms), r.error ? '–' : f1(r.gflops)]),
  );
  const fma = fmaGain(rows);
  if (fma == null && !rows.some((r) => r.key === 'gemm-simd')) return t;
  return fma == null
    ? t + '\nRelaxed SIMD was not measured (this runtime does not validate it; Node 20 needs `--experimental-wasm-relaxed-simd`).\n'
    : t + `\nFused multiply–add (relaxed SIMD) vs multiply-then-add, the GEMM alone: **${fma.toFixed(2)}×** — ${fma >= 1.1 ? "this machine's cores gain from FMA" : "this machine's cores gain little or nothing from FMA (multiplies and adds already overlap)"}.\n`;
}

/** GFLOP/s of the GEMM with relaxed SIMD ÷ without, when both were measured. */
export function fmaGain(rows: CeilingRow[] | undefined): number | null {
  const relaxed = rows?.find((r) => r.key === 'gemm-relaxed' && !r.error);
  const plain = rows?.find((r) => r.key === 'gemm-simd' && !r.error);
  return relaxed && plain ? relaxed.gflops / plain.gflops : null;
}

/** Best GFLOP/s among the ceiling rows (the kernels' practical ceiling). */
export function ceilingGflops(rows: CeilingRow[] | undefined): number | undefined {
  const ok = (rows ?? []).filter((r) => !r.error && Number.isFinite(r.gflops) && !r.key.startsWith('torch'));
  return ok.length ? Math.max(...ok.map((r) => r.gflops)) : undefined;
}

function profileTable(rows: TrainingRow[], ceiling: CeilingRow[] | undefined): string {
  const top = ceilingGflops(ceiling);
  const cats = PROFILE_CATEGORIES.filter((c) => rows.some((r) => (r.profile!.threads[0].categories[c]?.ms ?? 0) > 0));
  return table(
    ['config', 'data', 'threads', 'softmax', 'step ms', ...cats.map((c) => CATEGORY_LABELS[c]), 'outside kernels', 'replica waits', 'kernels/step', 'GFLOP/step', 'matmul GFLOP/s', 'of ceiling', 'step GFLOP/s'],
    rows.map((r) => {
      const p = r.profile!;
      const n = p.steps;
      const t0: StepProfile = p.threads[0];
      const wall = t0.wallMs / n;
      const cell = (ms: number) => `${f0(ms)} (${pct(ms / wall)})`;
      const flops = p.threads.reduce((a, t) => a + t.matmulFlops, 0) / n;
      const mmGflops = t0.categories.matmul.ms > 0 ? t0.matmulFlops / t0.categories.matmul.ms / 1e6 : NaN;
      const replica = p.threads[1];
      return [
        r.kernels === 'stock' ? `${r.config} (stock kernels)` : r.id.endsWith('simd128') ? `${r.config} (plain SIMD)` : r.config,
        r.data,
        String(r.threads),
        softmaxLabel(r.softmaxCandidates),
        f0(wall),
        ...cats.map((c) => (t0.categories[c] ? cell(t0.categories[c].ms / n) : '–')),
        cell(t0.outsideMs / n),
        replica ? pct(replica.categories.sync.ms / replica.wallMs) : '–',
        f0(t0.kernels / n),
        f1(flops / 1e9),
        f1(mmGflops),
        top ? pct(mmGflops / top) : '–',
        f1(flops / wall / 1e6),
      ];
    }),
  );
}

/** Two busy cores against one: the bound on two-thread scaling that no synchronisation design removes. */
function coresSection(c: CoresResult): string {
  const gemm = c.gemmTogetherGflops / c.gemmAloneGflops;
  const grads = c.gradientsTogetherMs / c.gradientsAloneMs;
  return (
    '\n**Two cores against one** (`bench/lib/cores.ts`: the same work in one worker thread alone, then in two at once; no data parallelism, no synchronisation):\n\n' +
    table(
      ['work', 'alone', 'two at once', 'ratio'],
      [
        [`packed GEMM [${c.n},${c.n}]×[${c.n},${c.n}], GFLOP/s per thread`, f1(c.gemmAloneGflops), f1(c.gemmTogetherGflops), `${gemm.toFixed(2)}×`],
        [`forward + backward of 32 sentences (default model, ${softmaxLabel(c.softmaxCandidates)}), ms (two at once: the slower)`, f1(c.gradientsAloneMs), f1(c.gradientsTogetherMs), `${grads.toFixed(2)}×`],
      ],
    ) +
    `\nA two-thread step computes two such halves at once, so on this machine it is at least ${f1(c.gradientsTogetherMs)} ms before exchanging gradients and updating: ` +
    `the most two threads can gain over one is about 2 ÷ ${grads.toFixed(2)} = ${(2 / grads).toFixed(2)}× on the gradients${gemm > 0.95 ? ' (the products alone scale: the cores share memory bandwidth, not arithmetic)' : ''}.\n`
  );
}
