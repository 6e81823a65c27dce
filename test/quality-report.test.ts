import * as assert from 'assert';
import { DEFAULT_MODEL, DEFAULT_TRAIN } from '../src/core/config/config';
import { geometricMean, keepPrevious, mergeCurves, renderQualityMarkdown, selectVariants, type QualityResults } from '../bench/lib/qualityReport';
import { ablationVariants } from '../bench/quality';
import { validateConfigObject } from '../src/core/config/configLoader';

function results(tag: number, dates: QualityResults['dates']): QualityResults {
  return {
    format: 'seq2seq-lab/quality@1',
    machine: { cpu: 'cpu', cores: 2, memoryGb: 24, platform: 'linux', node: 'v20', tfjs: '4.22.0', date: '2026-12-01' },
    pytorch: { python: 'python3', torch: '1.13' },
    dates,
    settings: { recipe: {}, exampleConfig: 'examples/x.json', projectModel: { ...DEFAULT_MODEL }, example: { model: { ...DEFAULT_MODEL }, train: { ...DEFAULT_TRAIN } } },
    curve: [{ step: 100, projectPerplexity: tag, peerPerplexity: tag + 1 }],
    ablation: [{ variant: 'defaults', model: {}, perplexity: [{ step: 100, perplexity: tag }], secondsPerStep: 1 }],
    budget: { minutes: 10, projectBleu: tag, peerBleu: tag, ratio: 1, projectSteps: 1, peerSteps: 1, projectThreads: '2', peerThreads: '1', projectTokensPerSecond: 1, peerTokensPerSecond: 1, testSentences: 1 },
    minutes: [{ minutes: 10, projectBleu: tag, peerBleu: tag, projectSteps: 1, peerSteps: 1 }],
    samples: [{ source: `s${tag}`, reference: 'r', project: 'p', peer: 'q' }],
    durationSec: 1,
  };
}

describe('bench:quality ablation variants', () => {
  it('each variant is a valid model config, the bridge from the mean of the encoder states among them', () => {
    const variants = ablationVariants();
    assert.strictEqual(new Set(variants.map((v) => v.name)).size, variants.length, 'distinct names');
    for (const v of variants) validateConfigObject({ data: { train: 'x.tsv' }, model: v.model }, v.name);
    assert.deepStrictEqual(variants.find((v) => v.name === 'decoder start from the mean of the encoder states')?.model, { bridgeFrom: 'mean' });
  });

  it('--variants picks by index or by a part of one name, in the order given, and refuses ambiguity', () => {
    const names = ['defaults', 'readout `maxout`', 'readout `attentional`', 'decoder start from the mean'];
    const fail = (m: string): never => {
      throw new Error(m);
    };
    assert.deepStrictEqual(selectVariants('mean, 0', names, fail), [3, 0]);
    assert.deepStrictEqual(selectVariants('MAXOUT,2', names, fail), [1, 2]);
    assert.throws(() => selectVariants('readout', names, fail), /"readout" matches "readout `maxout`", "readout `attentional`"/);
    assert.throws(() => selectVariants('median', names, fail), /matches no variant/);
    assert.throws(() => selectVariants('4', names, fail), /no variant 4/);
    assert.throws(() => selectVariants('0,defaults', names, fail), /named twice/);
  });
});

describe('bench:quality report', () => {
  it('a run of some parts keeps the other parts of the previous results, with their dates', () => {
    const previous = results(1, { curve: 'c1', ablation: 'a1', budget: 'b1', minutes: 'm1' });
    const now = results(2, { ablation: 'a2' });
    keepPrevious(now, previous, ['ablation']);
    assert.strictEqual(now.curve[0].projectPerplexity, 1);
    assert.strictEqual(now.ablation![0].perplexity[0].perplexity, 2);
    assert.strictEqual(now.budget!.projectBleu, 1);
    assert.strictEqual(now.samples[0].source, 's1');
    assert.strictEqual(now.minutes![0].projectBleu, 1);
    assert.deepStrictEqual(now.dates, { curve: 'c1', ablation: 'a2', budget: 'b1', minutes: 'm1' });
  });

  it('the budget part replaces the samples; minutes stay unless that part ran too', () => {
    const previous = results(1, {});
    const now = results(2, { budget: 'b2' });
    keepPrevious(now, previous, ['budget']);
    assert.strictEqual(now.budget!.projectBleu, 2);
    assert.strictEqual(now.samples[0].source, 's2');
    assert.strictEqual(now.minutes![0].projectBleu, 1);
    assert.strictEqual(now.curve[0].projectPerplexity, 1);
  });

  it('the Markdown report shows the curve side by side with the ratio', () => {
    const r = results(2, { curve: '2026-12-01T00:00:00Z' });
    r.settings.recipe = { embeddingSize: 128, hiddenSize: 256, encoderHiddenSize: 256, batchSize: 64, learningRate: 0.001, clipNorm: 1 };
    r.curve = [{ step: 100, projectPerplexity: 50, peerPerplexity: 40, projectRuns: [50], peerRuns: [40] }];
    const md = renderQualityMarkdown(r);
    assert.match(md, /Validation perplexity on identical batches \(2026-12-01\)/);
    assert.match(md, /\| 100 \| 50\.00 \| 40\.00 \| \*\*1\.25\*\* \|/);
  });

  it('--add-seeds: runs of new seeds join the recorded ones, means recomputed over all; a seed twice is refused', () => {
    const old = [
      { step: 100, projectPerplexity: geometricMean([50, 40]), peerPerplexity: geometricMean([45, 44]), projectRuns: [50, 40], peerRuns: [45, 44], projectSeconds: 10, peerSeconds: 4 },
      { step: 1000, projectPerplexity: 5, peerPerplexity: 5, projectRuns: [5, 5], peerRuns: [5, 5] },
    ];
    const added = [{ step: 100, projectPerplexity: 30, peerPerplexity: 35, projectRuns: [30], peerRuns: [35], seeds: [2], projectSeconds: 16, peerSeconds: 7 }];
    const merged = mergeCurves(old, added);
    assert.deepEqual(merged.map((c) => c.step), [100, 1000]);
    assert.deepEqual(merged[0].seeds, [0, 1, 2], 'recorded runs without seeds are seeds 0, 1, …');
    assert.deepEqual(merged[0].projectRuns, [50, 40, 30]);
    assert.ok(Math.abs(merged[0].projectPerplexity - Math.cbrt(50 * 40 * 30)) < 1e-9);
    assert.ok(Math.abs(merged[0].peerPerplexity - Math.cbrt(45 * 44 * 35)) < 1e-9);
    assert.equal(merged[0].projectSeconds, 12, 'mean seconds over all runs');
    assert.equal(merged[1], old[1], 'a step the new runs did not reach keeps its runs');
    assert.throws(() => mergeCurves(merged, [{ ...added[0], seeds: [1] }]), /seed 1 is already in the curve/);
    const md = renderQualityMarkdown({ ...results(1, {}), curve: merged, settings: { ...results(1, {}).settings, recipe: { embeddingSize: 1, hiddenSize: 1, encoderHiddenSize: 1, batchSize: 1, learningRate: 1, clipNorm: 1 } } });
    assert.match(md, /2–3 runs of each side/);
    assert.match(md, /\| 100 \| [\d.]+ \| [\d.]+ \| \*\*[\d.]+\*\* \| 0, 1, 2 \|/);
  });
});
