/**
 * Export of an SVG element drawn in a webview (the attention heatmap) as a
 * standalone file: the element cloned with the styles the page's stylesheet
 * gives it written into attributes (theme colours, fonts, opacities), on the
 * theme's background, so the file looks as on screen without the page's CSS;
 * and the same rasterised to PNG through an `<img>` and a canvas.
 */
import { exportColors } from './chartExport';

/** Presentation properties copied from the computed style of each element. */
const PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-opacity', 'stroke-width', 'opacity', 'visibility', 'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline'];

/** `svg` as a standalone SVG document (text with XML declaration), its computed styles inlined. */
export function standaloneSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const to = [clone, ...Array.from(clone.querySelectorAll('*'))];
  from.forEach((node, i) => {
    const style = getComputedStyle(node);
    for (const p of PROPS) {
      const v = style.getPropertyValue(p);
      if (v) to[i].setAttribute(p, v);
    }
    to[i].removeAttribute('class');
  });
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const width = svg.width.baseVal.value;
  const height = svg.height.baseVal.value;
  clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x: '0', y: '0', width: String(width), height: String(height), fill: exportColors().background })) bg.setAttribute(k, v);
  clone.insertBefore(bg, clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

/** Base64 of the UTF-8 bytes of `text`. */
function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * The SVG document `svgText` (`width` × `height` user units) drawn at
 * `scale` × as a PNG (base64, no `data:` prefix). Rejects when the image
 * cannot be decoded.
 */
export function svgToPng(svgText: string, width: number, height: number, scale = 2): Promise<string> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(width * scale);
      canvas.height = Math.ceil(height * scale);
      const ctx = canvas.getContext('2d');
      if (!ctx) return reject(new Error('no 2D canvas'));
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      resolve(canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, ''));
    };
    img.onerror = () => reject(new Error('the SVG could not be drawn'));
    img.src = `data:image/svg+xml;base64,${base64Utf8(svgText)}`;
  });
}
