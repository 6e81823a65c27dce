/**
 * Files the export commands write: default file names, and the bytes of a
 * chart export sent by a webview (src/protocol/chartExport.ts). No `vscode`
 * import (unit-tested in plain Node).
 */
import type { ChartExportFormat, ExportChartCommand } from '../../protocol/chartExport';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures (the extractor needs this import).
import * as l10n from '@vscode/l10n';

/** The 8-byte signature every PNG file starts with (PNG spec, sec. 5.2). */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A file name from free text (a run and chart name): letters (any script),
 * digits, `.`, `_` and `-` kept, every other run of characters (and `..`)
 * one `-`, no leading or trailing dot or dash, at most 100 characters before the extension; `export`
 * when nothing is left.
 */
export function safeFileName(base: string, extension: string): string {
  const stem =
    base
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._-]+/gu, '-')
      .replace(/\.{2,}/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 100) || 'export';
  return `${stem}.${extension}`;
}

/**
 * The bytes to write for a chart export: the SVG text as UTF-8, or the
 * decoded PNG.
 * @throws Error when a `png` export does not decode to a PNG file (no PNG signature).
 */
export function chartExportBytes(msg: ExportChartCommand): Buffer {
  if (msg.format === 'svg') return Buffer.from(msg.data, 'utf8');
  const bytes = Buffer.from(msg.data, 'base64');
  if (bytes.length <= PNG_SIGNATURE.length || !bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    throw new Error(l10n.t('The chart image sent by the view is not a PNG file ({0} bytes).', bytes.length));
  }
  return bytes;
}

/** The save dialog's file type filter of a chart export (label translated). */
export function chartExportFilter(format: ChartExportFormat): Record<string, string[]> {
  return format === 'svg' ? { [l10n.t('SVG image')]: ['svg'] } : { [l10n.t('PNG image')]: ['png'] };
}
