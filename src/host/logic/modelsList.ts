/**
 * The runs under a workspace's runs folder, as the Models tree and
 * "Translate Selection" see them: which runs exist, what they are, which one
 * to use by default. Reads only small files (run.json and the checkpoints'
 * weights.json manifests), never weights. No `vscode` import; the texts
 * shown to the user are translated with `l10n.t`.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { READABLE_RUN_FORMATS, upgradeManifest, type RunManifest } from '../../core/runs/checkpoint';
import type { Seq2SeqConfig } from '../../core/config/config';
import type { TrainingEvent } from '../../core/training/events';
import type { ResumeInfo } from '../../protocol/trainingPanel';
import { readInterruption } from './interruptedRuns';
import { readRunRecord, readTaskEvents, type SlurmRunRecord } from '../../core/experiments/slurmJobs';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';

/** One run folder found under the runs folder. */
export interface RunEntry {
  /** Absolute run folder. */
  runDir: string;
  /** Folder name. */
  folder: string;
  /** Config name, else the folder name. */
  name: string;
  /** The run's resolved config (undefined when run.json is unreadable). */
  config?: Seq2SeqConfig;
  configPath?: string;
  /** Backend the run was trained with. */
  backend?: string;
  /** Creation time (ms since epoch): run.json `created`, else the folder's mtime. */
  created: number;
  /** True when `best/weights.json` exists. */
  hasBest: boolean;
  /** True when `last/weights.json` exists. */
  hasLast: boolean;
  /** Validation BLEU of the best checkpoint, when recorded. */
  bestBleu?: number;
  /** Optimiser step of the best checkpoint. */
  bestStep?: number;
  /** Why run.json could not be used (the run is listed but cannot be loaded; translated). */
  problem?: string;
  /** Set when training stopped without finishing and no training holds the folder: it can be resumed from `last/` (see ./interruptedRuns.ts). */
  interrupted?: ResumeInfo;
  /** Set for a run submitted to Slurm (its slurm.json): the job and, for an ablation's variant, its label. */
  slurm?: { jobId?: string; label?: string; jobFolder: string };
}

const exists = (p: string) => fs.stat(p).then(() => true, () => false);

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

/**
 * Read one run folder; undefined when it has no run.json (not a run).
 * A malformed run.json gives an entry with `problem` set.
 */
export async function readRunEntry(runDir: string): Promise<RunEntry | undefined> {
  const manifestFile = path.join(runDir, 'run.json');
  const slurm = await readRunRecord(runDir).catch(() => undefined);
  if (!(await exists(manifestFile))) return slurm ? queuedSlurmRun(runDir, slurm) : undefined;
  const folder = path.basename(runDir);
  const stat = await fs.stat(runDir);
  const entry: RunEntry = { runDir, folder, name: folder, created: stat.mtimeMs, hasBest: false, hasLast: false };
  if (slurm) entry.slurm = { jobId: slurm.jobId, label: slurm.label, jobFolder: slurm.jobFolder };
  try {
    const m = (await readJson(manifestFile)) as { format?: unknown; config?: Seq2SeqConfig; configPath?: string; backend?: string; created?: string };
    if (typeof m?.format !== 'string' || !READABLE_RUN_FORMATS.includes(m.format) || typeof m.config !== 'object' || m.config === null) {
      const formats = READABLE_RUN_FORMATS.map((f) => `"${f}"`).reduce((list, f) => l10n.t('{0} or {1}', list, f));
      entry.problem = l10n.t('{0}: not a seq2seq-lab run manifest (expected format {1} and a config)', manifestFile, formats);
    } else {
      entry.config = upgradeManifest(m as RunManifest).config;
      entry.name = m.config.name || folder;
      entry.configPath = typeof m.configPath === 'string' ? m.configPath : undefined;
      entry.backend = typeof m.backend === 'string' ? m.backend : undefined;
      const t = typeof m.created === 'string' ? Date.parse(m.created) : NaN;
      if (Number.isFinite(t)) entry.created = t;
    }
  } catch (e) {
    entry.problem = `${manifestFile}: ${(e as Error).message}`;
  }
  entry.hasLast = await exists(path.join(runDir, 'last', 'weights.json'));
  // A Slurm task that has not said how it ended is Slurm's to resume (a requeue), not this window's.
  if (entry.hasLast && !entry.problem && !(slurm && (await slurmTaskOpen(runDir, slurm)))) entry.interrupted = await readInterruption(runDir);
  const bestManifest = path.join(runDir, 'best', 'weights.json');
  if (await exists(bestManifest)) {
    entry.hasBest = true;
    try {
      const w = (await readJson(bestManifest)) as { meta?: { step?: number; valid?: { bleu?: number } } };
      if (typeof w?.meta?.valid?.bleu === 'number') entry.bestBleu = w.meta.valid.bleu;
      if (typeof w?.meta?.step === 'number') entry.bestStep = w.meta.step;
    } catch {
      // A checkpoint being rewritten right now; the next refresh reads it.
    }
  }
  return entry;
}

/** True when the run's current Slurm job has no `end` in the run folder's task events (it may still run, or be requeued). */
async function slurmTaskOpen(runDir: string, r: SlurmRunRecord): Promise<boolean> {
  const mine = (await readTaskEvents(runDir)).filter((e) => e.job === r.jobId);
  return mine.length === 0 || mine[mine.length - 1]!.event !== 'end';
}

/** A run submitted to Slurm whose task has not started yet (a slurm.json, no run.json): what its record says. */
async function queuedSlurmRun(runDir: string, r: SlurmRunRecord): Promise<RunEntry> {
  const folder = path.basename(runDir);
  const submitted = r.submitted ? Date.parse(r.submitted) : NaN;
  const created = Number.isFinite(submitted) ? submitted : (await fs.stat(runDir)).mtimeMs;
  return {
    runDir,
    folder,
    name: r.config?.name || folder,
    config: r.config,
    configPath: r.configPath,
    created,
    hasBest: false,
    hasLast: false,
    slurm: { jobId: r.jobId, label: r.label, jobFolder: r.jobFolder },
  };
}

/**
 * Every run directly under `runsDir` (folders holding a run.json, or a
 * slurm.json of a run still waiting in the Slurm queue), newest
 * first. A missing `runsDir` gives an empty list.
 */
export async function listRuns(runsDir: string): Promise<RunEntry[]> {
  let names: string[];
  try {
    names = (await fs.readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const entries = await Promise.all(names.map((n) => readRunEntry(path.join(runsDir, n)).catch(() => undefined)));
  return sortRuns(entries.filter((e): e is RunEntry => e !== undefined));
}

/** Newest first; ties by folder name (descending, so `-20250102` before `-20250101`). */
export function sortRuns(runs: RunEntry[]): RunEntry[] {
  return [...runs].sort((a, b) => b.created - a.created || b.folder.localeCompare(a.folder));
}

/** True when the run can translate: a readable run.json and a checkpoint. */
export function isUsable(run: RunEntry): boolean {
  return run.problem === undefined && (run.hasBest || run.hasLast);
}

/**
 * The model "Translate Selection" uses: the remembered one when it is still
 * usable, else the most recent run with a `best/` checkpoint, else the most
 * recent run with any checkpoint, else undefined (no trained model yet).
 */
export function chooseActiveModel(runs: RunEntry[], remembered?: string): RunEntry | undefined {
  if (remembered) {
    const r = runs.find((x) => path.resolve(x.runDir) === path.resolve(remembered));
    if (r && isUsable(r)) return r;
  }
  const sorted = sortRuns(runs);
  return sorted.find((r) => r.problem === undefined && r.hasBest) ?? sorted.find(isUsable);
}

/** Absolute runs folder of a workspace folder (`setting` relative to it, or absolute). */
export function runsFolderPath(workspaceFolder: string, setting: string | undefined): string {
  return path.resolve(workspaceFolder, setting && setting.trim() ? setting.trim() : 'runs');
}

/** One line (translated) describing a model's architecture, e.g. "GRU 1×256 bi · bahdanau attention · emb 128" or "Transformer 2×128 · 4 heads · ff 512". */
export function configSummary(c: Seq2SeqConfig): string {
  const m = c.model;
  if (m.type === 'transformer') {
    const t = m.transformer;
    return l10n.t('Transformer {0}×{1} · {2} heads · ff {3}', t.layers, t.modelSize, t.heads, t.ffSize);
  }
  const att = m.attention === 'none' ? l10n.t('no attention') : l10n.t('{0} attention', m.attention);
  const args = [m.cell.toUpperCase(), m.layers, m.hiddenSize, att, m.embeddingSize];
  return m.bidirectional ? l10n.t('{0} {1}×{2} bi · {3} · emb {4}', ...args) : l10n.t('{0} {1}×{2} · {3} · emb {4}', ...args);
}

/** Local date as `YYYY-MM-DD HH:MM`. */
export function formatRunDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The tree item's description (translated): best BLEU (or why there is none), backend, date. */
export function runDescription(run: RunEntry): string {
  const parts: string[] = [];
  if (run.interrupted) parts.push(l10n.t('interrupted at step {0}', run.interrupted.step));
  if (run.problem) parts.push(l10n.t('unreadable run.json'));
  else if (run.bestBleu !== undefined) parts.push(`BLEU ${run.bestBleu.toFixed(1)}`);
  else if (!run.hasBest && !run.hasLast) parts.push(l10n.t('no checkpoint'));
  else if (!run.hasBest) parts.push(l10n.t('no best checkpoint'));
  if (run.backend) parts.push(run.backend);
  parts.push(formatRunDate(run.created));
  return parts.join(' · ');
}

/** Markdown tooltip lines for a run (translated). */
export function runTooltip(run: RunEntry): string {
  const lines = [`**${run.name}** — \`${run.folder}\``, ''];
  if (run.problem) lines.push(run.problem);
  if (run.config) {
    const c = run.config;
    lines.push(configSummary(c), '');
    lines.push(
      l10n.t(
        'Tokenizer {0}, max length {1}; batch {2}, lr {3}, beam {4}',
        c.data.tokenizer,
        c.data.maxLength,
        c.train.batchSize,
        c.train.learningRate,
        c.train.beamSize,
      ),
    );
  }
  const ckpt = run.hasBest
    ? run.bestBleu !== undefined
      ? l10n.t('best checkpoint at step {0} (BLEU {1})', run.bestStep ?? '?', run.bestBleu.toFixed(2))
      : l10n.t('best checkpoint at step {0}', run.bestStep ?? '?')
    : run.hasLast
      ? l10n.t('only a last checkpoint (no validation improved yet)')
      : l10n.t('no checkpoint yet');
  lines.push('', l10n.t('Checkpoint: {0}', ckpt));
  if (run.interrupted) {
    lines.push(l10n.t('Interrupted at step {0}: training stopped without finishing. Resume continues from the last checkpoint (step {1}).', run.interrupted.step, run.interrupted.checkpointStep));
  }
  if (run.backend) lines.push(l10n.t('Trained on: {0}', run.backend));
  lines.push(l10n.t('Created: {0}', formatRunDate(run.created)));
  return lines.join('\n\n').replace(/\n\n\n\n/g, '\n\n');
}

/**
 * Parse a run's metrics.jsonl (one training event per line). Unparsable or
 * truncated lines (a run killed mid-write) are skipped and counted.
 */
export function parseMetricsJsonl(text: string): { events: TrainingEvent[]; badLines: number[] } {
  const events: TrainingEvent[] = [];
  const badLines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const e = JSON.parse(line) as TrainingEvent;
      if (e && typeof e === 'object' && typeof e.type === 'string') events.push(e);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { events, badLines };
}
