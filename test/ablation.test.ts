import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import {
  AblationError,
  CONFIG_SCHEMA,
  ablatableFields,
  expandVariants,
  makeSummary,
  outcomeFromEvents,
  parseAblationSpec,
  runVariants,
  schemaField,
  parseSeedList,
  seedGroups,
  variantGroupLabel,
  valueAt,
  variantRunName,
  withBudget,
  writeAblationSummary,
  type SchemaNode,
  type Variant,
  type VariantOutcome,
} from '../src/core/experiments/ablation';
import { withDefaults, type Seq2SeqConfig } from '../src/core/config/config';
import { validateConfigObject } from '../src/core/config/configLoader';

const base: Seq2SeqConfig = withDefaults({ name: 'tiny', data: { train: '/data/pairs.tsv' }, model: { attention: 'bahdanau', layers: 1 }, train: { maxMinutes: 3 } });
const validate = validateConfigObject;

/** The shipped schema with `model.type` (rnn | transformer) added, as another branch adds it. */
function schemaWithModelType(): SchemaNode {
  const s = structuredClone(CONFIG_SCHEMA);
  s.properties!.model!.properties = { type: { type: 'string', enum: ['rnn', 'transformer'], default: 'rnn' }, ...s.properties!.model!.properties };
  return s;
}

/** The config with `field` removed, for comparing everything else. */
/** `config` without `field` and the settings that go with its values (`data.bpe` with `data.tokenizer`). */
function without(config: unknown, field: string): unknown {
  const c = structuredClone(config) as Record<string, Record<string, unknown>>;
  const [section, key] = field.split('.');
  delete c[section!]![key!];
  if (field === 'data.tokenizer') delete c.data!.bpe;
  return c;
}

describe('ablation: parsing --set field=v1,v2 against the schema', () => {
  it('types values by the schema: enums and strings as text, integers and numbers as numbers, booleans as true/false', () => {
    assert.deepEqual(parseAblationSpec('model.attention=none, bahdanau ,luong-general').values, ['none', 'bahdanau', 'luong-general']);
    assert.deepEqual(parseAblationSpec('model.layers=1,2,4').values, [1, 2, 4]);
    assert.deepEqual(parseAblationSpec('model.dropout=0,0.25,1e-1').values, [0, 0.25, 0.1]);
    assert.deepEqual(parseAblationSpec('model.bidirectional=true,false').values, [true, false]);
    assert.deepEqual(parseAblationSpec('train.threads=1,auto').values, [1, 'auto']);
    assert.equal(parseAblationSpec('model.layers=1,2').field, 'model.layers');
  });

  it('refuses malformed specs, empty and repeated values, sections and the budget fields, naming the field', () => {
    assert.throws(() => parseAblationSpec('model.attention'), (e: Error) => e instanceof AblationError && /not of the form field=value1,value2/.test(e.message));
    assert.throws(() => parseAblationSpec('=none'), /not of the form/);
    assert.throws(() => parseAblationSpec('model.attention=none,,bahdanau'), /model\.attention: empty value/);
    assert.throws(() => parseAblationSpec('model.layers=2,2'), /model\.layers: the value 2 is given twice/);
    assert.throws(() => parseAblationSpec('model=1,2'), /model is not a single setting.*model\.cell, model\.attention/);
    assert.throws(() => parseAblationSpec('train.maxMinutes=1,2'), /train\.maxMinutes is the training budget.*--minutes/);
    assert.throws(() => parseAblationSpec('train.maxSteps=10,20'), /train\.maxSteps is the training budget/);
  });

  it('says that the Transformer is model.type=transformer when it is given as an attention (schema with model.type)', () => {
    const schema = schemaWithModelType();
    assert.throws(
      () => parseAblationSpec('model.attention=none,transformer', schema),
      (e: Error) =>
        e instanceof AblationError &&
        e.message === 'model.attention has no value "transformer" (allowed: "none", "bahdanau", "luong-dot", "luong-general"); the Transformer is model.type=transformer: use --set model.type=transformer',
    );
    // And the other way round: a value of another enum field is named.
    assert.throws(() => parseAblationSpec('model.cell=bahdanau', schema), /model\.cell has no value "bahdanau" .*"bahdanau" is a value of model\.attention: use --set model\.attention=bahdanau/);
    assert.deepEqual(parseAblationSpec('model.type=rnn,transformer', schema).values, ['rnn', 'transformer']);
  });

  it('lists the ablatable fields from the schema at run time, with enum values and what numbers allow', () => {
    const fields = ablatableFields();
    const attention = fields.find((f) => f.field === 'model.attention')!;
    assert.equal(attention.kind, 'enum');
    assert.deepEqual(attention.values, ['none', 'bahdanau', 'luong-dot', 'luong-general']);
    assert.equal(fields.find((f) => f.field === 'model.layers')!.allowed, 'an integer >= 1 and <= 8');
    assert.equal(fields.find((f) => f.field === 'model.dropout')!.allowed, 'a number >= 0 and < 1');
    assert.equal(fields.find((f) => f.field === 'model.bidirectional')!.kind, 'boolean');
    const names = fields.map((f) => f.field);
    for (const f of ['train.maxMinutes', 'train.maxSteps', 'data.train', 'data.valid', 'name']) assert.ok(!names.includes(f), f);
    assert.ok(names.every((n) => /^(data|model|train)\./.test(n)));
    // A field the schema gains is offered without a code change.
    assert.deepEqual(ablatableFields(schemaWithModelType()).find((f) => f.field === 'model.type')?.values, ['rnn', 'transformer']);
    assert.equal(schemaField('model.nope'), undefined);
  });

  it('train.minDelta is ablatable: numbers ≥ 0, a negative one refused naming the field', () => {
    assert.equal(ablatableFields().find((f) => f.field === 'train.minDelta')!.allowed, 'a number >= 0');
    assert.deepEqual(parseAblationSpec('train.minDelta=0,0.01').values, [0, 0.01]);
    const variants = expandVariants(base, [parseAblationSpec('train.minDelta=0,0.01')], { validate });
    assert.deepEqual(variants.map((v) => v.config.train.minDelta), [0, 0.01]);
    assert.throws(() => expandVariants(base, [parseAblationSpec('train.minDelta=0,-1')], { validate }), /train\.minDelta must be >= 0 \(got -1\)/);
  });
});

describe('ablation: variants', () => {
  it('each variant is the base with exactly the set field changed to its value (any enum field, any subset of its values)', () => {
    const enums = ablatableFields().filter((f) => f.kind === 'enum');
    fc.assert(
      fc.property(
        fc.constantFrom(...enums).chain((f) => fc.tuple(fc.constant(f), fc.uniqueArray(fc.constantFrom(...f.values!), { minLength: 1 }))),
        ([f, values]) => {
          const spec = parseAblationSpec(`${f.field}=${values.join(',')}`);
          let variants: Variant[];
          try {
            variants = expandVariants(base, [spec], { validate });
          } catch (e) {
            // A combination the schema's cross-field checks refuse is refused before training, naming the --set.
            assert.match((e as Error).message, new RegExp(`--set ${f.field.replace('.', '\\.')}=`));
            return;
          }
          assert.equal(variants.length, values.length);
          variants.forEach((v, i) => {
            assert.equal(v.field, f.field);
            assert.equal(valueAt(v.config, f.field), values[i]);
            assert.deepEqual(without(v.config, f.field), without(base, f.field));
            if (f.field === 'data.tokenizer') assert.equal(v.config.data.bpe !== undefined, values[i] === 'bpe', 'data.bpe exactly for the bpe tokenizer');
          });
          assert.equal(new Set(variants.map((v) => v.id)).size, variants.length, 'ids are distinct');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('from a bpe base, word and char variants drop data.bpe (it belongs to the bpe tokenizer) and validate', () => {
    const bpeBase = validate({ ...structuredClone(base), data: { ...structuredClone(base.data), tokenizer: 'bpe', bpe: { merges: 500, joint: false } } }, 'the base');
    const variants = expandVariants(bpeBase, [parseAblationSpec('data.tokenizer=word,char,bpe')], { validate });
    assert.deepEqual(variants.map((v) => v.config.data.bpe), [undefined, undefined, { merges: 500, joint: false }]);
  });

  it('the same holds for integers in range; several --set give one variant per value of each, one field at a time; --include-base comes first', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }), (layers) => {
        const specs = [parseAblationSpec(`model.layers=${layers.join(',')}`), parseAblationSpec('model.attention=none,luong-general')];
        const variants = expandVariants(base, specs, { validate, includeBase: true });
        assert.equal(variants.length, 1 + layers.length + 2);
        assert.equal(variants[0]!.id, 'base');
        assert.deepEqual(variants[0]!.config, base);
        for (const v of variants.slice(1)) {
          assert.deepEqual(without(v.config, v.field!), without(base, v.field!));
          assert.equal(valueAt(v.config, v.field!), v.value);
        }
        assert.deepEqual(
          variants.slice(1).map((v) => v.label),
          [...layers.map((l) => `model.layers=${l}`), 'model.attention=none', 'model.attention=luong-general'],
        );
      }),
      { numRuns: 30 },
    );
  });

  it('an unknown field or a value the schema rejects is refused before anything trains, naming the --set, the field and what is allowed', () => {
    const expand = (s: string) => () => expandVariants(base, [parseAblationSpec(s)], { validate });
    // The shipped schema has model.type: the Transformer given as an attention is pointed to it.
    assert.throws(expand('model.attention=none,transformer'), /model\.attention has no value "transformer" .*the Transformer is model\.type=transformer: use --set model\.type=transformer/);
    assert.throws(expand('model.layers=1,9'), /--set model\.layers=1,9: model\.layers must be <= 8 \(got 9\)/);
    assert.throws(expand('model.layers=1,two'), /model\.layers must be an integer \(got "two"\)/);
    assert.throws(expand('model.atention=none'), /unknown key "atention" in model \(did you mean "attention"\?/);
    assert.throws(() => expandVariants(base, [], { validate }), /no field to ablate/);
    assert.throws(
      () => expandVariants(base, [parseAblationSpec('model.layers=1'), parseAblationSpec('model.layers=2')], { validate }),
      /model\.layers is given in two --set options; list all its values in one/,
    );
  });

  it('--seeds: every variant once per seed, in order; train.seed is the seed, data.splitSeed the base\'s split; nothing else changes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (seeds, includeBase) => {
        const plain = expandVariants(base, [parseAblationSpec('model.attention=none,luong-dot')], { validate, includeBase });
        const seeded = expandVariants(base, [parseAblationSpec('model.attention=none,luong-dot')], { validate, includeBase, seeds });
        assert.equal(seeded.length, plain.length * seeds.length);
        seeded.forEach((v, i) => {
          const p = plain[Math.floor(i / seeds.length)]!;
          const seed = seeds[i % seeds.length]!;
          assert.equal(v.seed, seed);
          assert.equal(v.id, `${p.id}-seed-${seed}`);
          assert.equal(variantGroupLabel(v.label), p.label);
          assert.deepEqual([v.field, v.value], [p.field, p.value]);
          assert.deepEqual([v.config.train.seed, v.config.data.splitSeed], [seed, base.train.seed]);
          const strip = (c: Seq2SeqConfig) => ({ ...c, train: { ...c.train, seed: 0 }, data: { ...c.data, splitSeed: undefined } });
          assert.deepEqual(JSON.parse(JSON.stringify(strip(v.config))), JSON.parse(JSON.stringify(strip(p.config))));
        });
      }),
      { numRuns: 25 },
    );
    // A base with its own split seed keeps it.
    const fixed = expandVariants({ ...base, data: { ...base.data, splitSeed: 9 } }, [parseAblationSpec('model.attention=none')], { validate, seeds: [1] });
    assert.equal(fixed[0]!.config.data.splitSeed, 9);
    const spec = [parseAblationSpec('model.attention=none')];
    assert.throws(() => expandVariants(base, spec, { validate, seeds: [1, 1] }), /a seed is given twice/);
    assert.throws(() => expandVariants(base, spec, { validate, seeds: [-1] }), /whole numbers ≥ 0/);
    assert.throws(() => expandVariants(base, [parseAblationSpec('train.seed=1,2')], { validate, seeds: [3] }), /--seeds sets train\.seed of every run/);
  });

  it('parseSeedList: blank is none; commas with or without spaces; a part that is not a whole number ≥ 0, or a seed twice, is named', () => {
    assert.deepEqual(parseSeedList('  '), { seeds: [] });
    assert.deepEqual(parseSeedList('1,2, 30'), { seeds: [1, 2, 30] });
    assert.deepEqual(parseSeedList('1,,2'), { notASeed: '' });
    assert.deepEqual(parseSeedList('1, 2.5'), { notASeed: '2.5' });
    assert.deepEqual(parseSeedList('-1'), { notASeed: '-1' });
    assert.deepEqual(parseSeedList('3, 1, 3'), { twice: 3 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(), { maxLength: 6 }), (seeds) => {
        assert.deepEqual(parseSeedList(seeds.join(', ')), { seeds });
      }),
    );
  });

  it('seedGroups: mean and sample sd over each variant\'s seeds; runs without a figure do not count', () => {
    const r = (label: string, seed: number, bleu?: number, status: 'finished' | 'failed' = 'finished') => ({
      id: label,
      label: `${label} · train.seed=${seed}`,
      seed,
      status,
      ...(bleu !== undefined ? { test: { bleu, perplexity: 2, sentences: 10, beam: 1 }, valid: { bleu, perplexity: 2 } } : {}),
    });
    const g = seedGroups([r('a', 1, 10), r('a', 2, 14), r('a', 3, 12), r('b', 1, 5), r('b', 2, undefined, 'failed')]);
    assert.deepEqual(g.map((x) => [x.label, x.seeds]), [['a', [1, 2, 3]], ['b', [1, 2]]]);
    assert.equal(g[0]!.testBleu.mean, 12);
    assert.equal(g[0]!.testBleu.sd, 2);
    assert.deepEqual(g[1]!.testBleu, { mean: 5, sd: 0, n: 1 });
    assert.deepEqual(seedGroups([r('c', 1, undefined, 'failed')])[0]!.testBleu.n, 0);
  });

  it('names runs after the variant and applies the shared budget', () => {
    const [v] = expandVariants(base, [parseAblationSpec('model.dropout=0.3')], { validate });
    assert.equal(variantRunName('tatoeba', v!), 'tatoeba-dropout-0.3');
    const [w] = expandVariants(base, [parseAblationSpec('model.attention=luong-general')], { validate });
    assert.equal(variantRunName('tatoeba', w!), 'tatoeba-attention-luong-general');
    assert.equal(withBudget(base, { maxMinutes: 10 }).train.maxMinutes, 10);
    assert.equal(withBudget(base, { maxSteps: 50 }).train.maxSteps, 50);
    assert.equal(withBudget(base, {}).train.maxMinutes, 3);
  });
});

describe('ablation: sequencing and summary', () => {
  const variants = expandVariants(base, [parseAblationSpec('model.attention=none,bahdanau,luong-general')], { validate });
  const outcome = (runDir: string, reason = 'time-limit'): VariantOutcome => ({ runDir, reason, steps: 10, elapsedSeconds: 60, tokensPerSecond: 100, valid: { bleu: 5, perplexity: 9 } });

  it('a failing variant is recorded with its message and run folder, and the next ones still train', async () => {
    const trained: string[] = [];
    const results = await runVariants(
      variants,
      async (v, i, chosen) => {
        chosen(`/runs/${v.id}`);
        trained.push(v.id);
        if (i === 1) throw new Error('out of memory');
        return outcome(`/runs/${v.id}`);
      },
      { stopRequested: () => false },
    );
    assert.deepEqual(trained, ['attention-none', 'attention-bahdanau', 'attention-luong-general']);
    assert.deepEqual(results.map((r) => r.status), ['finished', 'failed', 'finished']);
    assert.equal(results[1]!.error, 'out of memory');
    assert.equal(results[1]!.runDir, '/runs/attention-bahdanau');
  });

  it('a stop request ends the current variant (stopped) and skips the rest; so does a variant the user stopped', async () => {
    let stop = false;
    const seen: number[] = [];
    const results = await runVariants(
      variants,
      async (v, i) => {
        seen.push(i);
        stop = true; // e.g. Ctrl+C while the first variant trains
        return outcome(`/runs/${v.id}`, 'cancelled');
      },
      { stopRequested: () => stop, onVariant: (_v, i, n) => assert.equal(n, 3, String(i)) },
    );
    assert.deepEqual(seen, [0]);
    assert.deepEqual(results.map((r) => r.status), ['stopped', 'skipped', 'skipped']);

    const viaPanel = await runVariants(variants, async (v) => outcome(`/runs/${v.id}`, 'cancelled'), { stopRequested: () => false });
    assert.deepEqual(viaPanel.map((r) => r.status), ['stopped', 'skipped', 'skipped']);
  });

  it('reads a variant outcome from recorded events and writes ablation.json (NaN as null, skipped variants without run folder)', async () => {
    const events = [
      { type: 'progress', tokensPerSecond: 100 },
      { type: 'progress', tokensPerSecond: 300 },
      { type: 'done', reason: 'time-limit', step: 42, elapsedSeconds: 120, bestBleu: 12.5, bestPerplexity: 7 },
    ];
    const o = outcomeFromEvents('/runs/a', events)!;
    assert.deepEqual(o, { runDir: '/runs/a', reason: 'time-limit', steps: 42, elapsedSeconds: 120, tokensPerSecond: 200, valid: { bleu: 12.5, perplexity: 7 } });
    assert.equal(outcomeFromEvents('/runs/a', events.slice(0, 2)), undefined);

    const results = await runVariants(variants, async (v, i) => ({ ...outcome(`/runs/${v.id}`, i === 0 ? 'max-steps' : 'cancelled'), valid: { bleu: NaN, perplexity: 3 } }), {
      stopRequested: () => false,
    });
    const summary = makeSummary({
      name: 'tiny',
      baseConfig: '/cfg/tiny.seq2seq.json',
      specs: [parseAblationSpec('model.attention=none,bahdanau,luong-general')],
      includeBase: false,
      budgetConfig: withBudget(base, { maxSteps: 30 }),
      started: new Date(0),
      finished: new Date(1000),
      results,
    });
    assert.deepEqual(summary.runDirs, ['/runs/attention-none', '/runs/attention-bahdanau']);
    assert.deepEqual(summary.budget, { maxMinutes: 3, maxSteps: 30 });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ablation-'));
    try {
      const file = await writeAblationSummary(path.join(dir, 'tiny-ablation-x'), summary);
      const back = JSON.parse(await fs.readFile(file, 'utf8'));
      assert.equal(back.variants[0].valid.bleu, null);
      assert.deepEqual(back.fields, ['model.attention']);
      assert.deepEqual(back.variants.map((v: { status: string }) => v.status), ['finished', 'stopped', 'skipped']);
      assert.equal(back.baseConfig, '/cfg/tiny.seq2seq.json');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
