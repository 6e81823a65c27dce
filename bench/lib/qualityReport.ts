/**
 * Results of `npm run bench:quality` (`bench/quality.ts`): their JSON shape,
 * the Markdown report and the BLEU-against-minutes chart (Vega-Lite → SVG).
 */

import type { ModelConfig, TrainConfig } from '../../src/core/config/config';

/** One step of the curve: geometric means over the seeds' runs, each run's perplexity, mean seconds to the step. */
export interface CurvePoint {
  step: number;
  projectPerplexity: number;
  peerPerplexity: number;
  projectRuns?: number[];
  peerRuns?: number[];
  /** The seed (batch order and initialisations) of each run, in the order of `projectRuns` / `peerRuns`; absent: 0, 1, 2, … */
  seeds?: number[];
  projectSeconds?: number;
  peerSeconds?: number;
}

/** exp(mean log x): the geometric mean (for perplexities: the perplexity of the mean cross-entropy). */
export function geometricMean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/**
 * The curve of `previous` with the runs of `added` (other seeds, same
 * settings) added at every step both have (`--add-seeds`): runs and seeds
 * concatenated, geometric means and mean seconds recomputed over all runs.
 * Steps only in `previous` keep their runs; steps only in `added` come as they are.
 * @throws Error when a seed is in both, or a point has no runs recorded
 */
export function mergeCurves(previous: CurvePoint[], added: CurvePoint[]): CurvePoint[] {
  const seedsOf = (c: CurvePoint) => {
    if (!c.projectRuns || !c.peerRuns) throw new Error(`curve step ${c.step}: no runs recorded, so no runs can be added to it`);
    return c.seeds ?? c.projectRuns.map((_, i) => i);
  };
  const steps = [...new Set([...previous.map((c) => c.step), ...added.map((c) => c.step)])].sort((a, b) => a - b);
  return steps.map((step) => {
    const p = previous.find((c) => c.step === step);
    const a = added.find((c) => c.step === step);
    if (!p || !a) return (p ?? a)!;
    const ps = seedsOf(p);
    const as = seedsOf(a);
    const twice = as.filter((s) => ps.includes(s));
    if (twice.length) throw new Error(`curve step ${step}: seed ${twice.join(', ')} is already in the curve (use --first-seed past ${Math.max(...ps)})`);
    const projectRuns = [...p.projectRuns!, ...a.projectRuns!];
    const peerRuns = [...p.peerRuns!, ...a.peerRuns!];
    const meanSeconds = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : (x * ps.length + y * as.length) / (ps.length + as.length));
    return {
      step,
      projectPerplexity: geometricMean(projectRuns),
      peerPerplexity: geometricMean(peerRuns),
      projectRuns,
      peerRuns,
      seeds: [...ps, ...as],
      projectSeconds: meanSeconds(p.projectSeconds, a.projectSeconds),
      peerSeconds: meanSeconds(p.peerSeconds, a.peerSeconds),
    };
  });
}

/** Contents of `bench/results/quality.json`. */
export interface QualityResults {
  format: 'seq2seq-lab/quality@1';
  machine: { cpu: string; cores: number; memoryGb: number; platform: string; node: string; tfjs: string; date: string; commit?: string };
  pytorch: { python: string; torch: string };
  /** When each part was last measured (ISO 8601); parts not run keep their earlier figures. */
  dates: { curve?: string; ablation?: string; budget?: string; minutes?: string };
  settings: { recipe: Record<string, number>; exampleConfig: string; projectModel: ModelConfig; example: { model: ModelConfig; train: TrainConfig } };
  /**
   * Validation perplexity of both sides on identical batches (one thread
   * each): geometric means over the seeds, whose runs are in `projectRuns` /
   * `peerRuns`. Seconds: mean training time to that step.
   */
  curve: CurvePoint[];
  /** The project's curve with one model choice changed at a time (same batches and settings as `curve`); `runs`: each seed's perplexity. */
  ablation?: { variant: string; model: Partial<ModelConfig>; perplexity: { step: number; perplexity: number; runs?: number[] }[]; secondsPerStep: number }[];
  /** Test BLEU after the same wall-clock budget: the project's example config vs the recipe on one thread. */
  budget?: {
    minutes: number;
    projectBleu: number;
    peerBleu: number;
    /** projectBleu / peerBleu. */
    ratio: number;
    projectSteps: number;
    peerSteps: number;
    projectThreads: string;
    peerThreads: string;
    projectTokensPerSecond: number;
    peerTokensPerSecond: number;
    testSentences: number;
  };
  /** Test BLEU against the training budget (project: one run per budget; peer: its budget run translated at those minutes). */
  minutes?: { minutes: number; projectBleu: number; peerBleu: number; projectSteps: number; peerSteps: number }[];
  /** Test sentences with both systems' greedy translations (from the budget runs). */
  samples: { source: string; reference: string; project: string; peer: string }[];
  durationSec: number;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown report (`bench/results/quality.md`). */
export function renderQualityMarkdown(r: QualityResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Learning on real data: the project against the standard PyTorch recipe', '');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; ${m.platform}; Node ${m.node}, tfjs ${m.tfjs}; PyTorch ${r.pytorch.torch}${m.commit ? `; commit ${m.commit}` : ''}.`);
  out.push(`Written by \`npm run bench:quality\` (\`bench/quality.ts\`); the peer is \`bench/pytorch/recipe_peer.py\`. Data: Tatoeba English→French through \`${r.settings.exampleConfig}\`.`, '');
  if (r.curve.length) {
    const rc = r.settings.recipe;
    out.push(`## Validation perplexity on identical batches${r.dates.curve ? ` (${r.dates.curve.slice(0, 10)})` : ''}`, '');
    out.push(
      `Both sides: embedding ${rc.embeddingSize}, decoder ${rc.hiddenSize}, encoder ${rc.encoderHiddenSize} per direction, Bahdanau attention, batch ${rc.batchSize}, Adam ${rc.learningRate}, clip ${rc.clipNorm}, ` +
        `full softmax, one thread each, each from its own initialisation; the project with its model defaults (readout \`${String(r.settings.projectModel.readout)}\`, embeddings ${String(r.settings.projectModel.embeddingInit)} ${String(r.settings.projectModel.embeddingInitScale)}), the peer with PyTorch's.`,
      '',
    );
    const counts = [...new Set(r.curve.map((c) => c.projectRuns?.length ?? 1))];
    const runsText = counts.length === 1 ? `${counts[0]} runs of each side` : `${Math.min(...counts)}–${Math.max(...counts)} runs of each side (per step: the seeds column)`;
    out.push(
      `${runsText}: run k of both trains on the same k-th shuffled batch order, each side from its own initialisation drawn with seed k. ` +
        'The table gives geometric means over the runs (the perplexity of the mean cross-entropy), then each run.',
      '',
    );
    out.push('| step | project | PyTorch recipe | project ÷ recipe | seeds | project runs | recipe runs |', '|---:|---:|---:|---:|---|---|---|');
    for (const c of r.curve) {
      const runs = (xs?: number[]) => (xs ?? []).map(f1).join(', ');
      const seeds = c.seeds ?? (c.projectRuns ?? [0]).map((_, i) => i);
      out.push(`| ${int(c.step)} | ${f2(c.projectPerplexity)} | ${f2(c.peerPerplexity)} | **${f2(c.projectPerplexity / c.peerPerplexity)}** | ${seeds.join(', ')} | ${runs(c.projectRuns)} | ${runs(c.peerRuns)} |`);
    }
    out.push('', 'Perplexity here depends on the steps, not on time: the runs may share the machine with others (speed is `npm run bench`).');
    out.push('');
  }
  if (r.ablation?.length) {
    const steps = r.ablation[0].perplexity.map((p) => p.step);
    out.push(`## What each model choice does${r.dates.ablation ? ` (${r.dates.ablation.slice(0, 10)})` : ''}`, '');
    out.push("The project's curve above with one choice changed at a time (same batches, settings and seeds; geometric mean over the seeds); two runs at a time, one thread each (so s/step is only a rough relative cost).", '');
    out.push(`| variant | ${steps.map((s) => `perplexity @${s}`).join(' | ')} | s/step |`, `|---|${steps.map(() => '---:').join('|')}|---:|`);
    for (const a of r.ablation) out.push(`| ${cell(a.variant)} | ${a.perplexity.map((p) => f1(p.perplexity)).join(' | ')} | ${f2(a.secondsPerStep)} |`);
    out.push('');
  }
  if (r.budget) {
    const b = r.budget;
    out.push(`## Test BLEU after ${b.minutes} minutes${r.dates.budget ? ` (${r.dates.budget.slice(0, 10)})` : ''}`, '');
    out.push(
      `The project: \`seq2seq train --config ${r.settings.exampleConfig} --max-minutes ${b.minutes}\`, then \`seq2seq eval\` on the run's test split (greedy). ` +
        `The peer: the same recipe as above on ${b.peerThreads} thread for ${b.minutes} minutes of training, on batches of the same training split, greedy on the same test sources. ` +
        `Both scored with the project's sacreBLEU-compatible BLEU on ${int(b.testSentences)} sentences; they ran one after the other.`,
      '',
    );
    out.push('| | test BLEU | steps | threads | target tokens/s |', '|---|---:|---:|---|---:|');
    out.push(`| project (example config) | **${f2(b.projectBleu)}** | ${int(b.projectSteps)} | ${b.projectThreads} | ${int(b.projectTokensPerSecond)} |`);
    out.push(`| PyTorch recipe | ${f2(b.peerBleu)} | ${int(b.peerSteps)} | ${b.peerThreads} | ${int(b.peerTokensPerSecond)} |`);
    out.push('', `Ratio project ÷ recipe: **${f2(b.ratio)}**.`, '');
  }
  if (r.minutes?.length) {
    out.push(`## Test BLEU against minutes of training${r.dates.minutes ? ` (${r.dates.minutes.slice(0, 10)})` : ''}`, '');
    out.push('Project: one run per budget (its learning rate decays to 0 at the end of its own budget). Peer: its budget run, translated after that many minutes (constant learning rate). Chart: `quality-minutes.svg`.', '');
    out.push('| minutes | project BLEU | project steps | recipe BLEU | recipe steps |', '|---:|---:|---:|---:|---:|');
    for (const p of r.minutes) out.push(`| ${p.minutes} | ${f2(p.projectBleu)} | ${int(p.projectSteps)} | ${f2(p.peerBleu)} | ${int(p.peerSteps)} |`);
    out.push('');
  }
  if (r.samples.length) {
    out.push('## Test sentences (greedy, from the budget runs)', '');
    out.push('| source | reference | project | PyTorch recipe |', '|---|---|---|---|');
    for (const s of r.samples) out.push(`| ${cell(s.source)} | ${cell(s.reference)} | ${cell(s.project)} | ${cell(s.peer)} |`);
    out.push('');
  }
  out.push(`Duration: ${f1(r.durationSec / 60)} minutes.`, '');
  return out.join('\n');
}

/** BLEU against minutes, both systems, as an SVG (Vega-Lite, rendered headless). */
export async function renderQualityChart(r: QualityResults): Promise<string> {
  const vega = await import('vega');
  // vega-lite's types resolve only under moduleResolution node16+; the one function used here:
  const vl = (await import('vega-lite' as string)) as { compile(spec: object): { spec: import('vega').Spec } };
  const values = (r.minutes ?? []).flatMap((p) => [
    { minutes: p.minutes, bleu: p.projectBleu, system: 'Seq2Seq Lab (example config, 2 threads)' },
    { minutes: p.minutes, bleu: p.peerBleu, system: 'PyTorch recipe (1 thread)' },
  ]);
  const spec = vl.compile({
    title: { text: 'Tatoeba en→fr: test BLEU against minutes of training', fontSize: 14 },
    width: 460,
    height: 260,
    data: { values },
    mark: { type: 'line', point: { size: 60 } },
    encoding: {
      x: { field: 'minutes', type: 'quantitative', title: 'training minutes (wall clock)', axis: { values: (r.minutes ?? []).map((p) => p.minutes) } },
      y: { field: 'bleu', type: 'quantitative', title: 'test BLEU (greedy)' },
      color: { field: 'system', type: 'nominal', title: null, legend: { orient: 'bottom-right', labelLimit: 320 } },
    },
    config: { font: 'sans-serif', background: 'white' },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The parts of `npm run bench:quality`. */
export const QUALITY_PARTS = ['curve', 'ablation', 'budget', 'minutes'] as const;
export type QualityPart = (typeof QUALITY_PARTS)[number];

/** Copy into `results` the figures of `previous` for the parts not in `ran` (the samples go with `budget`). */
export function keepPrevious(results: QualityResults, previous: QualityResults, ran: readonly QualityPart[]): void {
  if (!ran.includes('curve')) results.curve = previous.curve;
  if (!ran.includes('ablation')) results.ablation = previous.ablation;
  if (!ran.includes('budget') && !ran.includes('minutes')) {
    results.budget = previous.budget;
    results.samples = previous.samples;
  }
  if (!ran.includes('minutes')) results.minutes = previous.minutes;
  results.dates = { ...previous.dates, ...results.dates };
}

/**
 * The variants `--variants` names: each comma-separated item a 0-based index
 * into `names` or a case-insensitive part of exactly one of them.
 * @returns their indices, in the order given
 */
export function selectVariants(list: string, names: string[], fail: (message: string) => never): number[] {
  const items = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) fail('expected variant names or indices separated by commas');
  const picked = items.map((item) => {
    if (/^\d+$/.test(item)) {
      const i = Number(item);
      if (i >= names.length) fail(`no variant ${i} (there are ${names.length}: 0–${names.length - 1})`);
      return i;
    }
    const hits = names.flatMap((n, i) => (n.toLowerCase().includes(item.toLowerCase()) ? [i] : []));
    if (hits.length !== 1) fail(`"${item}" matches ${hits.length ? hits.map((i) => `"${names[i]}"`).join(', ') : 'no variant'} (the variants: ${names.map((n, i) => `${i} "${n}"`).join(', ')})`);
    return hits[0];
  });
  if (new Set(picked).size !== picked.length) fail(`a variant is named twice in "${list}"`);
  return picked;
}
