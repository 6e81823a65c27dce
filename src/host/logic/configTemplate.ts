/**
 * Template for a new run config created from a data file ("Create config
 * from a data file…" in Train Model). No `vscode` import.
 */
import * as path from 'path';
import { DEFAULT_DATA, DEFAULT_MODEL, DEFAULT_TRAIN, type DataSource } from '../../core/config/config';

/** The data the new config trains on, as absolute paths. */
export type TemplateData = { kind: 'tsv'; file: string } | { kind: 'parallel'; src: string; tgt: string };

/** Path written into a config: relative to the config's folder, with `/` separators (portable, as the loader resolves it). */
export function portableRelative(fromDir: string, file: string): string {
  const rel = path.relative(fromDir, file);
  if (path.isAbsolute(rel)) return file.split(path.sep).join('/'); // other drive on Windows
  return rel.split(path.sep).join('/') || '.';
}

/**
 * File stem for a new config: `fra-eng.tsv` -> "fra-eng";
 * parallel `train.en` + `train.fr` -> "train.en-fr"; `a.txt` + `b.txt` -> "a-b".
 */
export function templateStem(data: TemplateData): string {
  if (data.kind === 'tsv') {
    const base = path.basename(data.file);
    const ext = path.extname(base);
    return ext && base.length > ext.length ? base.slice(0, -ext.length) : base;
  }
  const s = path.basename(data.src);
  const t = path.basename(data.tgt);
  const sExt = path.extname(s);
  const tExt = path.extname(t);
  const sStem = s.slice(0, s.length - sExt.length);
  const tStem = t.slice(0, t.length - tExt.length);
  // train.en / train.fr: same stem, the extensions are language codes.
  if (sStem === tStem && sExt && tExt) return `${sStem}.${sExt.slice(1)}-${tExt.slice(1)}`;
  return `${sStem || s}-${tStem || t}`;
}

/**
 * The config document for `data`, written to a file in `configDir`.
 * Every key is spelled out with its default so the user sees what can be
 * tuned (the JSON schema documents each one on hover: the extension's
 * `jsonValidation` applies it to every `*.seq2seq.json`, so the file carries
 * no `$schema` — no path of the machine that wrote it, nothing that breaks
 * when the extension is updated).
 */
export function createConfigTemplate(data: TemplateData, configDir: string): Record<string, unknown> {
  const train: DataSource =
    data.kind === 'tsv'
      ? portableRelative(configDir, data.file)
      : { src: portableRelative(configDir, data.src), tgt: portableRelative(configDir, data.tgt) };
  const dataSection: Record<string, unknown> = { train, ...DEFAULT_DATA };
  if (data.kind === 'parallel') {
    // Column indices only apply to TSV data.
    delete dataSection.srcColumn;
    delete dataSection.tgtColumn;
  }
  return {
    name: templateStem(data),
    data: dataSection,
    model: { ...DEFAULT_MODEL },
    train: { ...DEFAULT_TRAIN },
  };
}

/** {@link createConfigTemplate} as file text (2-space JSON, trailing newline). */
export function renderConfigTemplate(data: TemplateData, configDir: string): string {
  return JSON.stringify(createConfigTemplate(data, configDir), null, 2) + '\n';
}
