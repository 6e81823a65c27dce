/**
 * Loading and validating run configurations.
 *
 * A config file is JSON with comments (JSONC, parsed by `jsonc-parser`),
 * validated against `schemas/config.schema.json` with ajv. Problems are
 * reported as a {@link ConfigError} whose message has one line per problem,
 * `file:line:column: what is wrong (got …)`, pointing at the offending value
 * (or key, for unknown keys). After validation the defaults of
 * `src/core/config/config.ts` are filled in and relative data paths are resolved
 * against the folder of the config file.
 */

import { promises as fs } from 'fs';
import * as path from 'path';
import Ajv, { type ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import schema from '../../../schemas/config.schema.json';
import { withDefaults, type DataSource, type Seq2SeqConfig, type UserConfig } from './config';
import { displayPath } from '../data/corpus';

/** One problem found in a config. `line`/`column` are 1-based (absent without source text). */
export interface ConfigProblem {
  /** Dotted key path, e.g. `model.attention` (empty for the whole document). */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** An invalid or unreadable config. The message lists every problem, one per line. */
export class ConfigError extends Error {
  /** The config file (or source name) as given. */
  readonly file: string;
  readonly problems: ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    const where = displayPath(file);
    super(
      problems
        .map((p) => `${where}${p.line !== undefined ? `:${p.line}:${p.column}` : ''}: ${p.message}`)
        .join('\n'),
    );
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

/**
 * The embedded default run used by `seq2seq train` without `--config`: the
 * generated date-normalisation set (`sample-data/dates.tsv`, "18 Jan 2019" →
 * "2019-01-18") with a character tokenizer and a small bidirectional GRU with
 * Bahdanau attention. `data.train` is relative to the package root; use
 * {@link defaultRunConfig} to get it resolved and defaulted.
 */
export const DEFAULT_RUN_CONFIG: UserConfig = {
  name: 'dates (built-in example)',
  data: {
    train: 'sample-data/dates.tsv',
    tokenizer: 'char',
    lowercase: true,
    maxLength: 40,
    validFraction: 0.05,
    testFraction: 0.05,
    maxValidSentences: 200,
  },
  model: {
    cell: 'gru',
    attention: 'bahdanau',
    embeddingSize: 32,
    hiddenSize: 64,
    layers: 1,
    bidirectional: true,
    bridge: 'both',
    dropout: 0.1,
  },
  train: {
    batchSize: 64,
    learningRate: 0.002,
    epochs: 10,
    maxMinutes: 4,
    validEvery: 100,
    logEvery: 10,
    stopMetric: 'perplexity',
    // Validation perplexity reaches 1.005 at about step 300 (BLEU 100) and then creeps towards 1 in the
    // fourth decimal: stop after three validations without a fall of more than 0.01.
    earlyStoppingPatience: 3,
    minDelta: 0.01,
    beamSize: 1,
  },
};

/** {@link DEFAULT_RUN_CONFIG} with defaults filled in and its data path resolved against `packageRoot`. */
export function defaultRunConfig(packageRoot: string): Seq2SeqConfig {
  return resolveConfigPaths(withDefaults(structuredClone(DEFAULT_RUN_CONFIG)), packageRoot);
}

let validator: ReturnType<Ajv['compile']> | undefined;

function getValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    // VS Code's JSON-schema extension keyword: documentation only.
    ajv.addKeyword({ keyword: 'enumDescriptions', schemaType: 'array' });
    validator = ajv.compile(schema);
  }
  return validator;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const s = JSON.stringify(value);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}

function pointerToSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function dotted(segments: string[]): string {
  return segments.join('.');
}

function valueAt(obj: unknown, segments: string[]): unknown {
  let v: unknown = obj;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function schemaPropertiesAt(segments: string[]): string[] {
  // Walk the schema along the instance path (objects only).
  let s: Record<string, unknown> = schema as Record<string, unknown>;
  for (const seg of segments) {
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    let next = props?.[seg];
    if (next && typeof next.$ref === 'string') {
      const name = next.$ref.split('/').pop()!;
      next = ((schema as Record<string, unknown>).definitions as Record<string, Record<string, unknown>>)[name];
      next = (next.then as Record<string, unknown>) ?? next;
    }
    if (!next) return [];
    s = next;
  }
  return Object.keys((s.properties as object | undefined) ?? {});
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/** Turns one ajv error into a problem (without location), or null to drop it. */
function formatAjvError(e: ErrorObject, data: unknown): ConfigProblem | null {
  const segs = pointerToSegments(e.instancePath);
  const name = dotted(segs);
  const subject = name === '' ? 'the config' : name;
  const value = valueAt(data, segs);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return null;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path: name, message: `${subject} must be one of ${allowed} (got ${describe(value)})` };
    }
    case 'type': {
      const types = String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t);
      let expected = types.join(' or ');
      if (segs.length >= 2 && segs[0] === 'data' && ['train', 'valid', 'test'].includes(segs[1]) && segs.length === 2) {
        expected = 'a file path string or an object {"src": …, "tgt": …}';
      }
      return { path: name, message: `${subject} must be ${expected} (got ${describe(value)})` };
    }
    case 'minimum':
      return { path: name, message: `${subject} must be >= ${String(p.limit)} (got ${describe(value)})` };
    case 'maximum':
      return { path: name, message: `${subject} must be <= ${String(p.limit)} (got ${describe(value)})` };
    case 'exclusiveMinimum':
      return { path: name, message: `${subject} must be > ${String(p.limit)} (got ${describe(value)})` };
    case 'exclusiveMaximum':
      return { path: name, message: `${subject} must be < ${String(p.limit)} (got ${describe(value)})` };
    case 'minLength':
      return { path: name, message: `${subject} must not be empty` };
    case 'required': {
      const missing = String(p.missingProperty);
      const full = name === '' ? missing : `${name}.${missing}`;
      const hint = full === 'data' ? ' (at least {"data": {"train": "path/to/pairs.tsv"}})' : '';
      return { path: name, message: `missing required key "${full}"${hint}` };
    }
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const allowed = schemaPropertiesAt(segs);
      // Closeness: edit distance to the whole key, or (slightly penalised) to a
      // prefix of it, so that abbreviations like "hiddn" find "hiddenSize".
      const x = extra.toLowerCase();
      const best = allowed
        .map((k) => {
          const kl = k.toLowerCase();
          return { k, d: Math.min(editDistance(x, kl), editDistance(x, kl.slice(0, x.length + 1)) + 0.5) };
        })
        .sort((a, b) => a.d - b.d)[0];
      const close = best !== undefined && best.d <= Math.max(1, x.length / 3);
      const suggestion = close ? `did you mean "${best.k}"? ` : '';
      return {
        path: name === '' ? extra : `${name}.${extra}`,
        message: `unknown key "${extra}" in ${name === '' ? 'the top level' : name} (${suggestion}allowed: ${allowed.join(', ')})`,
      };
    }
    default:
      return { path: name, message: `${subject} ${e.message ?? 'is invalid'}` };
  }
}

/** Maps character offsets of a text to 1-based line/column. */
function lineLocator(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  };
}

/** Offset of the node an ajv error is about: the value, or the key for an unknown key. */
function offsetFor(root: Node, e: ErrorObject): number {
  const segs = pointerToSegments(e.instancePath);
  const node = findNodeAtLocation(root, segs) ?? root;
  if (e.keyword === 'additionalProperties' && node.type === 'object') {
    const extra = String((e.params as Record<string, unknown>).additionalProperty);
    const prop = node.children?.find((c) => c.children?.[0]?.value === extra);
    if (prop?.children?.[0]) return prop.children[0].offset;
  }
  return node.offset;
}

/** Semantic checks the schema cannot express. */
function extraChecks(cfg: Seq2SeqConfig): { segs: string[]; message: string }[] {
  const out: { segs: string[]; message: string }[] = [];
  const d = cfg.data;
  if (d.srcColumn === d.tgtColumn && typeof d.train === 'string') {
    out.push({ segs: ['data', 'tgtColumn'], message: `data.tgtColumn must differ from data.srcColumn (both are ${d.srcColumn})` });
  }
  if (d.bpe !== undefined && d.tokenizer !== 'bpe') {
    out.push({ segs: ['data', 'bpe'], message: `data.bpe applies only to data.tokenizer "bpe" (data.tokenizer is "${d.tokenizer}"): remove data.bpe or set data.tokenizer to "bpe"` });
  }
  const vf = d.valid === undefined ? d.validFraction : 0;
  const tf = d.test === undefined ? d.testFraction : 0;
  if (vf + tf >= 1) {
    out.push({
      segs: ['data', d.test === undefined ? 'testFraction' : 'validFraction'],
      message: `data.validFraction + data.testFraction must be < 1 so that training data remains (got ${vf} + ${tf})`,
    });
  }
  if (cfg.model.type === 'transformer') {
    const t = cfg.model.transformer;
    if (t.modelSize % t.heads !== 0) {
      out.push({ segs: ['model', 'transformer', 'heads'], message: `model.transformer.heads must divide model.transformer.modelSize (got ${t.heads} heads for ${t.modelSize})` });
    }
    if (t.positional === 'sinusoidal' && t.modelSize % 2 !== 0) {
      out.push({ segs: ['model', 'transformer', 'modelSize'], message: `model.transformer.modelSize must be even for sinusoidal positions (got ${t.modelSize})` });
    }
    if (cfg.train.teacherForcing !== 1) {
      out.push({ segs: ['train', 'teacherForcing'], message: `train.teacherForcing must be 1 with model.type transformer (its decoder reads all gold prefixes at once; got ${cfg.train.teacherForcing})` });
    }
  }
  return out;
}

const PARSE_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a key in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon ":" was expected',
  CommaExpected: 'a comma "," was expected',
  CloseBraceExpected: 'a closing "}" was expected',
  CloseBracketExpected: 'a closing "]" was expected',
  EndOfFileExpected: 'unexpected content after the end of the JSON document',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/**
 * Validates a parsed config and fills in defaults. `locate` maps an error to
 * a source position when the text is known.
 */
function validateAndDefault(
  obj: unknown,
  sourceName: string,
  locate?: (e: { instancePath: string; keyword: string; params: unknown } | { segs: string[] }) => { line: number; column: number },
): Seq2SeqConfig {
  const validate = getValidator();
  if (!validate(obj)) {
    const problems: (ConfigProblem & { order: number })[] = [];
    const errors = validate.errors ?? [];
    // A wrong type makes the enum/range errors on the same value redundant.
    const typeErrorAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const e of errors) {
      if (e.keyword !== 'type' && e.keyword !== 'required' && e.keyword !== 'additionalProperties' && typeErrorAt.has(e.instancePath)) continue;
      const p = formatAjvError(e, obj);
      if (!p) continue;
      const loc = locate?.(e as ErrorObject);
      problems.push({ ...p, ...(loc ?? {}), order: loc ? loc.line * 1e6 + loc.column : problems.length });
    }
    problems.sort((a, b) => a.order - b.order);
    throw new ConfigError(
      sourceName,
      problems.map(({ order: _order, ...p }) => p),
    );
  }
  const user = structuredClone(obj) as UserConfig & { $schema?: string };
  delete user.$schema;
  const cfg = withDefaults(user);
  const extra = extraChecks(cfg);
  if (extra.length > 0) {
    throw new ConfigError(
      sourceName,
      extra.map((x) => ({ path: dotted(x.segs), message: x.message, ...(locate?.({ segs: x.segs }) ?? {}) })),
    );
  }
  return cfg;
}

/**
 * Validates an already parsed config object (e.g. from the extension's
 * settings or a checkpoint) and fills in defaults. Paths are left as given.
 * @param sourceName prefix for error messages (e.g. a file name).
 * @throws ConfigError listing every problem.
 */
export function validateConfigObject(obj: unknown, sourceName: string): Seq2SeqConfig {
  return validateAndDefault(obj, sourceName);
}

/**
 * The config a run folder's `run.json` records, checked against the schema
 * before a model is built from it: a hand-edited `run.json` (e.g. a
 * `hiddenSize` of 1e9) is refused with a message, never allocated.
 * @param file the run.json, for the message
 * @throws ConfigError naming `file` and every problem
 */
export function checkRunConfig(config: unknown, file: string): Seq2SeqConfig {
  return validateAndDefault(config, `${file} (its "config")`);
}

/**
 * Validates config text (JSON with comments and trailing commas allowed) and
 * fills in defaults; errors carry line and column. Paths are left as given.
 * @throws ConfigError for syntax errors or schema violations.
 */
export function parseConfigText(text: string, sourceName: string): Seq2SeqConfig {
  const locator = lineLocator(text);
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  if (parseErrors.length > 0 || root === undefined) {
    if (text.trim() === '') {
      throw new ConfigError(sourceName, [
        { path: '', message: 'the config is empty; expected a JSON object such as {"data": {"train": "pairs.tsv"}}', line: 1, column: 1 },
      ]);
    }
    throw new ConfigError(
      sourceName,
      parseErrors.map((e) => {
        const code = printParseErrorCode(e.error);
        return { path: '', message: `invalid JSON: ${PARSE_MESSAGES[code] ?? code}`, ...locator(e.offset) };
      }),
    );
  }
  const obj: unknown = JSON.parse(JSON.stringify(nodeValue(root)));
  return validateAndDefault(obj, sourceName, (e) => {
    if ('segs' in e) {
      const node = findNodeAtLocation(root, e.segs);
      return locator(node ? node.offset : root.offset);
    }
    return locator(offsetFor(root, e as ErrorObject));
  });
}

/** Plain value of a jsonc-parser node (later duplicate keys win, as in JSON.parse). */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) o[String(k.value)] = nodeValue(v);
      }
      return o;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/**
 * Returns a copy of the config whose relative data paths (`data.train`,
 * `data.valid`, `data.test`, including `{src, tgt}` parallel files) are
 * resolved against `baseDir`. Absolute paths are kept.
 */
export function resolveConfigPaths<C extends { data: { train: DataSource; valid?: DataSource; test?: DataSource } }>(
  config: C,
  baseDir: string,
): C {
  const res = (s: DataSource): DataSource =>
    typeof s === 'string' ? path.resolve(baseDir, s) : { src: path.resolve(baseDir, s.src), tgt: path.resolve(baseDir, s.tgt) };
  const data = { ...config.data, train: res(config.data.train) };
  if (config.data.valid !== undefined) data.valid = res(config.data.valid);
  if (config.data.test !== undefined) data.test = res(config.data.test);
  return { ...config, data };
}

/**
 * Reads, validates and completes a config file: JSONC parsing, schema
 * validation (all problems reported with `file:line:column`), defaults, and
 * data paths resolved against the config file's folder.
 * @returns the complete config and the absolute path of the file.
 * @throws ConfigError for a missing/unreadable file, invalid JSON or an invalid config.
 */
export async function loadConfig(file: string): Promise<{ config: Seq2SeqConfig; path: string }> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'config file not found' : code === 'EISDIR' ? 'is a folder, expected a JSON config file' : `cannot read config file (${(e as Error).message})`;
    throw new ConfigError(file, [{ path: '', message: why }]);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const config = parseConfigText(text, file);
  return { config: resolveConfigPaths(config, path.dirname(abs)), path: abs };
}

/**
 * A resolved config with `key=value` overrides applied, e.g. `name=ablation`,
 * `train.batchSize=64` or `model.readout=maxout` (what `seq2seq train --set`
 * takes). A value is read as JSON when it parses as JSON (numbers, booleans,
 * `null`, quoted strings, objects), else as a plain string. The result is
 * validated like a config file, with the overrides named in the messages.
 * @param overrides `key=value` strings with dotted keys (`name=…`, `train.batchSize=…`)
 * @throws ConfigError for a malformed override, an unknown key or a value the schema rejects
 */
export function applyOverrides(config: Seq2SeqConfig, overrides: string[]): Seq2SeqConfig {
  const source = `--set ${overrides.join(' --set ')}`;
  const obj = structuredClone(config) as unknown as Record<string, unknown>;
  const problems: ConfigProblem[] = [];
  for (const o of overrides) {
    const eq = o.indexOf('=');
    const key = eq > 0 ? o.slice(0, eq).trim() : '';
    const segs = key.split('.');
    if (eq <= 0 || segs.some((s) => s === '')) {
      problems.push({ path: '', message: `"${o}" is not of the form key=value (e.g. train.batchSize=64)` });
      continue;
    }
    const text = o.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      /* a plain string */
    }
    let at = obj;
    for (const s of segs.slice(0, -1)) {
      if (typeof at[s] !== 'object' || at[s] === null || Array.isArray(at[s])) at[s] = {};
      at = at[s] as Record<string, unknown>;
    }
    at[segs[segs.length - 1]] = value;
  }
  if (problems.length) throw new ConfigError(source, problems);
  return validateConfigObject(obj, source);
}
