/**
 * Saving exports: a chart sent by a webview (the Training panel's and the
 * Compare Runs view's "SVG" / "PNG" buttons) and "Seq2Seq: Export Metrics as
 * CSV". Each asks where to save with the save dialog (default: the first
 * workspace folder, a name from the run and chart) and writes the file.
 * The conversions are in src/host/logic/exportFiles.ts and metricsCsv.ts.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExportChartCommand } from '../protocol/chartExport';
import { chartExportBytes, chartExportFilter, safeFileName } from './logic/exportFiles';
import { runMetricsCsv } from './logic/metricsCsv';

/** Where the save dialog starts: the first workspace folder, else `fallbackDir`, else the home folder. */
function defaultDir(fallbackDir?: string): vscode.Uri | undefined {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (ws) return ws;
  return fallbackDir ? vscode.Uri.file(fallbackDir) : undefined;
}

/**
 * Ask where to save `bytes` (save dialog starting at `fileName` in the
 * default folder) and write them. Returns the file written, or undefined when
 * the user cancelled. A write error is shown as an error message.
 */
export async function saveBytes(fileName: string, filters: Record<string, string[]>, bytes: Uint8Array, fallbackDir?: string): Promise<vscode.Uri | undefined> {
  const dir = defaultDir(fallbackDir);
  const target = await vscode.window.showSaveDialog({
    defaultUri: dir ? vscode.Uri.joinPath(dir, fileName) : undefined,
    filters,
    saveLabel: vscode.l10n.t('Export'),
    title: vscode.l10n.t('Seq2Seq: Export {0}', fileName),
  });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, bytes);
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: could not write {0}: {1}', target.fsPath, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
  return target;
}

/** Save a chart a webview exported; says where it went in the status bar. */
export async function saveChartExport(msg: ExportChartCommand, fallbackDir?: string): Promise<vscode.Uri | undefined> {
  let bytes: Buffer;
  try {
    bytes = chartExportBytes(msg);
  } catch (e) {
    void vscode.window.showErrorMessage(`Seq2Seq: ${(e as Error).message}`);
    return undefined;
  }
  const file = await saveBytes(safeFileName(msg.name, msg.format), chartExportFilter(msg.format), bytes, fallbackDir);
  if (file) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: saved the chart as {0}', path.basename(file.fsPath)));
  }
  return file;
}

/**
 * "Export Metrics as CSV" for the run in `runDir` (display name `name`):
 * converts its metrics.jsonl, asks where to save (`<folder>-metrics.csv`),
 * writes it and says how many rows it has. Errors (no metrics.jsonl) are shown.
 */
export async function exportMetricsCsv(runDir: string, name: string): Promise<vscode.Uri | undefined> {
  let result;
  try {
    result = await runMetricsCsv(runDir);
  } catch (e) {
    void vscode.window.showErrorMessage(`Seq2Seq: ${(e as Error).message}`);
    return undefined;
  }
  const file = await saveBytes(safeFileName(`${path.basename(runDir)}-metrics`, 'csv'), { [vscode.l10n.t('CSV table')]: ['csv'] }, Buffer.from(result.csv, 'utf8'), path.dirname(runDir));
  if (file) {
    const skipped = result.badLines.length ? ' ' + vscode.l10n.t('({0} unreadable lines skipped)', result.badLines.length) : '';
    void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: wrote {0} rows of {1} to {2}', result.rows, name, path.basename(file.fsPath)) + skipped);
  }
  return file;
}
