/**
 * The chart export message, shared by the webviews that draw charts (the
 * Training panel, src/protocol/trainingPanel.ts, and the Compare Runs view,
 * src/protocol/compareRuns.ts): the page renders one chart as SVG (text) or
 * PNG (base64 of the bytes) and the host asks where to save it.
 * Checked by `isExportChartCommand` in src/protocol/validate.ts.
 */

/** File formats of a chart export. */
export type ChartExportFormat = 'svg' | 'png';

/** Most characters of `data` accepted (a PNG of a large chart is well under 10 MB of base64). */
export const MAX_CHART_EXPORT_CHARS = 20_000_000;

/** Webview → host: save this chart. */
export interface ExportChartCommand {
  type: 'exportChart';
  format: ChartExportFormat;
  /**
   * What the chart shows, for the default file name (e.g. `tiny-training-loss`);
   * the host makes it a safe file name.
   */
  name: string;
  /** `svg`: the SVG document text. `png`: the PNG file's bytes, base64 (no `data:` prefix). */
  data: string;
}
