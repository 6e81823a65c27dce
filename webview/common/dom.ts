/** Small DOM helpers shared by the webview pages: an HTML element and an SVG element with attributes. */

const SVG = 'http://www.w3.org/2000/svg';

/** An HTML element with an optional class and text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** An SVG element with attributes. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * A labelled `<select>` (the label's text, then the list), appended to
 * `parent`; `onChange` gets the chosen option's value.
 * @param options `[value, text]` pairs in order
 */
export function labelledSelect(parent: HTMLElement, id: string, label: string, options: [string, string][], value: string, onChange: (v: string) => void): HTMLSelectElement {
  const l = h('label', undefined, `${label} `);
  const el = h('select');
  el.id = id;
  l.htmlFor = id;
  for (const [v, text] of options) {
    const o = h('option', undefined, text);
    o.value = v;
    o.selected = v === value;
    el.append(o);
  }
  el.addEventListener('change', () => onChange(el.value));
  parent.append(l, el);
  return el;
}
