/**
 * "Seq2Seq: Translate Selection": every selected line is one source
 * sentence (several selections work); the active model (see
 * ./models.ts) translates them in the inference worker, and the result
 * replaces the selection, goes below it, or is shown in a notification with
 * "Replace" / "Insert Below" actions (setting `seq2seq.translate.output`).
 * More than {@link PROGRESS_THRESHOLD} lines show cancellable progress.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { attentionLabel } from '../core/config/config';
import type { Translation } from '../core/decoding/translator';
import { MAX_SENTENCES_SHOWN, type AnalysisRequest, type AttentionView } from './attentionView';
import { batchSelections, countEmptyOutputs, countSentences, insertBelowTexts, nBestPickItems, notificationText, replacementTexts, type SelectionBatch } from './logic/translateText';
import type { ModelsService } from './models';
import { waitForTrust } from './trust';
import { InferenceClient, TranslationCancelledError } from './translateClient';

/** Selections with more sentences than this show a cancellable progress notification. */
export const PROGRESS_THRESHOLD = 20;

/** Hypotheses "Translate Selection (n-best)…" offers when the run's `train.nBest` is smaller. */
export const NBEST_PICK = 5;

/** The beam sizes of the attention view's search-error table for a sentence with a reference. */
export const REFERENCE_BEAMS = [1, 2, 5, 10];
/** The beam size whose tree shows where the reference fell out, when the model decodes greedily. */
export const REFERENCE_TREE_BEAM = 5;

export type TranslateOutput = 'replace' | 'insertBelow' | 'notify';

/** Owns the inference worker and runs the command. */
export class TranslateController implements vscode.Disposable {
  readonly client: InferenceClient;
  /** {@link checkpointStamp} of the loaded model when it was loaded. */
  private loadedStamp: string | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly models: ModelsService,
    private readonly attention: AttentionView,
    private readonly output: vscode.LogOutputChannel,
  ) {
    attention.setAnalyzer((runDir, req) => this.analyze(runDir, req));
    const backend = vscode.workspace.getConfiguration('seq2seq').get<string>('backend', 'auto');
    this.client = new InferenceClient({
      workerPath: path.join(context.extensionPath, 'dist', 'inference.js'),
      env: backend && backend !== 'auto' ? { SEQ2SEQ_BACKEND: backend } : {},
    });
  }

  /**
   * The command handler. With `opts.nBest` ("Translate Selection (n-best)…"),
   * or with a run whose `train.nBest` is above 1, each sentence's n best are
   * offered in a quick pick with their scores; the picked one is used.
   */
  async translateSelection(opts: { nBest?: boolean } = {}): Promise<void> {
    // When a webview (the attention view, a Markdown preview) has focus there is no active text
    // editor: use a visible one with a selection, as the user most likely means that one.
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.selections.some((sel) => !sel.isEmpty));
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: open a text editor and select the sentences to translate (one per line).'));
      return;
    }
    const doc = editor.document;
    const ranges = selectionRanges(editor);
    const batch = batchSelections(ranges.map((r) => doc.getText(r)));
    if (countSentences(batch) === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: nothing to translate — select one or more sentences (one per line).'));
      return;
    }
    const run = await this.models.activeModel();
    if (!run) {
      const train = vscode.l10n.t('Train Model');
      const folders = this.models.runsFolders().map((d) => vscode.workspace.asRelativePath(d)).join('", "') || 'runs';
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Seq2Seq: no trained model yet. Train one first; its run folder appears under "{0}".', folders),
        train,
      );
      if (choice === train) void vscode.commands.executeCommand('seq2seq.trainModel');
      return;
    }
    if (!(await waitForTrust('translate', (m) => this.output.info(m)))) return;
    const version = doc.version;
    let translations: Translation[];
    try {
      translations = await this.run(run.runDir, batch, opts.nBest ? Math.max(NBEST_PICK, run.config?.train.nBest ?? 1) : undefined);
    } catch (e) {
      if (e instanceof TranslationCancelledError) {
        vscode.window.setStatusBarMessage(vscode.l10n.t('Seq2Seq: translation cancelled after {0} lines', e.done), 4000);
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.output.error(vscode.l10n.t('Translate Selection with {0}: {1}', run.runDir, message));
      const showLog = vscode.l10n.t('Show Log');
      void vscode.window.showErrorMessage(`Seq2Seq: ${message}`, showLog).then((c) => {
        if (c === showLog) this.output.show(true);
      });
      return;
    }
    const loaded = this.client.loaded;
    this.attention.update(
      { name: loaded?.summary.name ?? run.name, attention: loaded?.summary.attention ?? (run.config ? attentionLabel(run.config.model) : 'bahdanau'), beamSize: loaded?.summary.beamSize ?? 1 },
      translations,
      run.runDir,
    );
    const texts = await pickNBest(translations);
    if (!texts) return;
    const empty = countEmptyOutputs(batch, texts);
    if (empty > 0) {
      this.output.warn(vscode.l10n.t('{0}: the model produced no output for {1} of {2} sentence(s) (it predicted <eos> first)', run.runDir, empty, countSentences(batch)));
    }
    const mode = vscode.workspace.getConfiguration('seq2seq', doc.uri).get<TranslateOutput>('translate.output', 'notify');
    if (mode === 'replace' || mode === 'insertBelow') {
      await applyOutput(doc, version, ranges, batch, texts, mode);
      if (empty > 0) void vscode.window.showWarningMessage(emptyOutputWarning(empty, countSentences(batch), mode));
      return;
    }
    const replace = vscode.l10n.t('Replace');
    const below = vscode.l10n.t('Insert Below');
    const attention = vscode.l10n.t('Show Attention');
    const choice = await vscode.window.showInformationMessage(notificationText(batch, texts), replace, below, attention);
    if (choice === replace) await applyOutput(doc, version, ranges, batch, texts, 'replace');
    else if (choice === below) await applyOutput(doc, version, ranges, batch, texts, 'insertBelow');
    else if (choice === attention) this.attention.show(false);
  }

  /** Load the model of `runDir` unless it is loaded with the same checkpoint. */
  private async load(runDir: string): Promise<void> {
    const stamp = await checkpointStamp(runDir);
    if (this.client.loaded?.modelPath !== path.resolve(runDir) || stamp !== this.loadedStamp) {
      // Not loaded yet, another model, or its checkpoint was rewritten since (training went on): (re)load.
      const loaded = await this.client.ensureLoaded(runDir, true);
      this.loadedStamp = stamp;
      this.output.info(vscode.l10n.t('Loaded {0} ({1}) on {2} in {3} ms', loaded.summary.name, loaded.summary.checkpointDir, loaded.backend, Math.round(loaded.loadMs)));
    }
  }

  /** The beam size of the tree that shows where a reference fell out: the model's own beam, or {@link REFERENCE_TREE_BEAM} for a greedy model. */
  private referenceTreeBeam(): number {
    const beam = this.client.loaded?.summary.beamSize ?? 1;
    return beam > 1 ? beam : REFERENCE_TREE_BEAM;
  }

  /**
   * The attention view's what-if and reference requests: translate
   * `req.source` again with the model of `runDir`, forcing `req.prefix` or
   * scoring `req.reference` (with its search-error table and beam tree).
   * @throws Error with a user-facing message when the model cannot be loaded or the worker fails
   */
  async analyze(runDir: string, req: AnalysisRequest): Promise<Translation> {
    await this.load(runDir);
    const t0 = Date.now();
    const r = await this.client.translate([req.source], {
      beamTrees: 1,
      ...(req.prefix ? { prefix: req.prefix } : {}),
      ...(req.reference !== undefined ? { reference: req.reference, referenceBeams: REFERENCE_BEAMS, referenceTreeBeam: this.referenceTreeBeam() } : {}),
    }).result;
    this.output.info(
      req.prefix
        ? vscode.l10n.t('What-if decoding of “{0}” in {1} ms', req.source, Date.now() - t0)
        : vscode.l10n.t('Scored the reference of “{0}” in {1} ms', req.source, Date.now() - t0),
    );
    return r.translations[0];
  }

  /** Load the model if needed and translate, with progress for long selections. */
  private async run(runDir: string, batch: SelectionBatch, nBest?: number): Promise<Translation[]> {
    const total = countSentences(batch);
    const t0 = Date.now();
    const work = async (report?: (done: number, total: number) => void, token?: vscode.CancellationToken) => {
      await this.load(runDir);
      if (token?.isCancellationRequested) throw new TranslationCancelledError(0);
      // The attention view shows the first MAX_SENTENCES_SHOWN sentences: their beam search trees too, and for a
      // TSV line (source<TAB>reference) the reference's score, search-error table and tree.
      const req = this.client.translate(batch.sentences, {
        onProgress: report,
        nBest,
        beamTrees: MAX_SENTENCES_SHOWN,
        tsv: true,
        referenceBeams: REFERENCE_BEAMS,
        referenceTreeBeam: this.referenceTreeBeam(),
      });
      const sub = token?.onCancellationRequested(() => this.client.cancel(req.id));
      try {
        const r = await req.result;
        this.output.info(
          vscode.l10n.t('Translated {0} sentence(s) in {1} ms ({2} ms including model load and messaging)', total, Math.round(r.ms), Date.now() - t0),
        );
        return r.translations;
      } finally {
        sub?.dispose();
      }
    };
    if (total <= PROGRESS_THRESHOLD) {
      return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Seq2Seq: translating…') }, () => work());
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Seq2Seq: translating {0} sentences', total), cancellable: true },
      (progress, token) => {
        let last = 0;
        return work((done, all) => {
          const pct = (done / all) * 100;
          progress.report({ increment: pct - last, message: `${done}/${all}` });
          last = pct;
        }, token);
      },
    );
  }

  dispose(): void {
    this.client.dispose();
  }
}

/**
 * The output text of each translation: the best, or, for a translation with
 * n-best hypotheses, the one picked in a quick pick (sentence by sentence).
 * @returns undefined when a quick pick was dismissed (nothing is applied)
 */
async function pickNBest(translations: Translation[]): Promise<string[] | undefined> {
  const texts: string[] = [];
  const withChoices = translations.filter((t) => (t.nBest?.length ?? 0) > 1).length;
  let asked = 0;
  for (const t of translations) {
    if (!t.nBest || t.nBest.length <= 1) {
      texts.push(t.text);
      continue;
    }
    asked++;
    const picked = await vscode.window.showQuickPick(nBestPickItems(t.nBest), {
      title: withChoices > 1 ? vscode.l10n.t('Seq2Seq: translations of “{0}” ({1}/{2})', t.source, asked, withChoices) : vscode.l10n.t('Seq2Seq: translations of “{0}”', t.source),
      placeHolder: vscode.l10n.t('The {0} best hypotheses of beam search, best score first: pick one', t.nBest.length),
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    texts.push(t.nBest[picked.index].text);
  }
  return texts;
}

/**
 * The warning (translated) after "replace" / "insert below" when the model
 * produced no words for `empty` of the `total` sentences.
 */
function emptyOutputWarning(empty: number, total: number, mode: 'replace' | 'insertBelow'): string {
  if (empty === 1 && total === 1) {
    return mode === 'replace'
      ? vscode.l10n.t('Seq2Seq: the model produced no output for the sentence (it ended the translation at once); they were left unchanged. A model that has trained longer usually does better.')
      : vscode.l10n.t('Seq2Seq: the model produced no output for the sentence (it ended the translation at once); nothing was inserted for them. A model that has trained longer usually does better.');
  }
  return mode === 'replace'
    ? vscode.l10n.t('Seq2Seq: the model produced no output for {0} of {1} sentences (it ended the translation at once); they were left unchanged. A model that has trained longer usually does better.', empty, total)
    : vscode.l10n.t('Seq2Seq: the model produced no output for {0} of {1} sentences (it ended the translation at once); nothing was inserted for them. A model that has trained longer usually does better.', empty, total);
}

/** Which checkpoint a run folder would load and when it was written: `<dir>@<mtime>` (undefined if none). */
async function checkpointStamp(runDir: string): Promise<string | undefined> {
  for (const kind of ['best', 'last']) {
    const st = await fs.stat(path.join(runDir, kind, 'weights.json')).catch(() => undefined);
    if (st) return `${kind}@${st.mtimeMs}`;
  }
  return undefined;
}

/**
 * The ranges to translate, in document order: each non-empty selection, a
 * selection ending at column 0 of a later line shortened to the end of the
 * previous line; when every selection is empty, the cursor lines.
 */
function selectionRanges(editor: vscode.TextEditor): vscode.Range[] {
  const doc = editor.document;
  const sels = [...editor.selections].sort((a, b) => a.start.compareTo(b.start));
  const nonEmpty = sels.filter((s) => !s.isEmpty);
  if (nonEmpty.length === 0) {
    const lines = [...new Set(sels.map((s) => s.active.line))];
    return lines.map((l) => doc.lineAt(l).range);
  }
  return nonEmpty.map((s) => {
    if (s.end.character === 0 && s.end.line > s.start.line) {
      return new vscode.Range(s.start, doc.lineAt(s.end.line - 1).range.end);
    }
    return new vscode.Range(s.start, s.end);
  });
}

async function applyOutput(
  doc: vscode.TextDocument,
  version: number,
  ranges: vscode.Range[],
  batch: SelectionBatch,
  texts: string[],
  mode: 'replace' | 'insertBelow',
): Promise<void> {
  if (doc.isClosed || doc.version !== version) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Seq2Seq: the document changed while translating; the translation was not inserted. It is still shown in the attention view (Seq2Seq: Show Attention).'),
    );
    return;
  }
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const edit = new vscode.WorkspaceEdit();
  if (mode === 'replace') {
    replacementTexts(batch, texts, eol).forEach((t, i) => edit.replace(doc.uri, ranges[i], t));
  } else {
    insertBelowTexts(batch, texts, eol).forEach((t, i) => {
      if (t) edit.insert(doc.uri, doc.lineAt(ranges[i].end.line).range.end, t);
    });
  }
  const ok = await vscode.workspace.applyEdit(edit);
  if (!ok) void vscode.window.showWarningMessage(vscode.l10n.t('Seq2Seq: could not edit the document (is it read-only?).'));
}
