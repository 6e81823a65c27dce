/**
 * Vega-Lite → SVG, headless (no canvas: text widths are estimated), as
 * bench/lib/qualityReport.ts draws its chart. Bundled on its own as
 * dist/svgRender.js (vega is large and only needed when a chart is asked
 * for); `seq2seq` loads it on first use.
 */

/** Compile a Vega-Lite spec and render it to an SVG document. */
export async function renderVegaLiteSvg(spec: object): Promise<string> {
  const vega = await import('vega');
  // vega-lite's types resolve only under moduleResolution node16+; the one function used here:
  const vl = (await import('vega-lite' as string)) as { compile(spec: object): { spec: import('vega').Spec } };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
