/**
 * The vector export of the charts (src/shared/chartSvg.ts): a well-formed SVG
 * document with axes, ticks, labels, legend and one path per series.
 */
import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { escapeXml, formatTick, logTicks, niceTicks, renderChartSvg, type ChartSeries } from '../src/shared/chartSvg';

type Node = Record<string, unknown>;
/** Every element named `name` anywhere under `node` (fast-xml-parser's object tree, attributes as `@name`). */
function findAll(node: unknown, name: string): Node[] {
  const out: Node[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Node)) {
      if (k.startsWith('@')) continue;
      if (k === name) (Array.isArray(v) ? v : [v]).forEach((x) => out.push(x as Node));
      walk(v);
    }
  };
  walk(node);
  return out;
}
const parse = (svg: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text' }).parse(svg) as { svg: Node };
const texts = (doc: unknown, cls?: string) =>
  findAll(doc, 'text')
    .filter((t) => !cls || t['@class'] === cls)
    .map((t) => String(t['#text'] ?? ''));

const series: ChartSeries[] = [
  { name: 'tiny', color: '#3794ff', points: [[0, 3.2], [50, 2.1], [100, 1.4], [150, 0.9]], raw: [[0, 3.4], [50, 2.0], [100, 1.5], [150, 0.8]] },
  { name: 'flat <no attention>', color: '#d18616', points: [[0, 3.3], [50, 2.6], [100, null], [150, 1.9]] },
];

describe('renderChartSvg (vector chart export)', () => {
  it('is a well-formed SVG document with one path per series, a title, axis labels, tick labels and a legend', () => {
    const svg = renderChartSvg({ title: 'Training loss', xLabel: 'step', yLabel: 'loss (nats / token)', series });
    assert.equal(XMLValidator.validate(svg), true);
    assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
    const doc = parse(svg);
    assert.equal(doc.svg['@viewBox'], '0 0 720 420');
    const paths = findAll(doc, 'path');
    assert.equal(paths.filter((p) => p['@class'] === 'series').length, 2, 'one series path per series');
    assert.equal(paths.filter((p) => p['@class'] === 'raw').length, 1, 'a faint raw path only where given');
    assert.deepEqual(texts(doc, 'chart-title'), ['Training loss']);
    assert.deepEqual(texts(doc, 'axis-label'), ['step', 'loss (nats / token)']);
    // The legend names every series (escaped text round-trips).
    const legend = findAll(findAll(doc, 'g').find((g) => g['@class'] === 'legend'), 'text').map((t) => String(t['#text']));
    assert.deepEqual(legend, ['tiny', 'flat <no attention>']);
    // x ticks cover 0…150; y ticks lie within the data range (with its 5 % margin).
    const xTicks = texts(findAll(doc, 'g').find((g) => g['@class'] === 'axis x-axis'), 'tick').map(Number);
    assert.ok(xTicks.includes(0) && xTicks.includes(150) && xTicks.length >= 3, JSON.stringify(xTicks));
    const yTicks = texts(findAll(doc, 'g').find((g) => g['@class'] === 'axis y-axis'), 'tick').map(Number);
    assert.ok(yTicks.length >= 3 && yTicks.every((v) => v >= 0.8 - 0.2 && v <= 3.4 + 0.2), JSON.stringify(yTicks));
  });

  it('draws the series in data coordinates: x increases left to right, smaller y lower on the page; a null is a gap', () => {
    const svg = renderChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series });
    const d = findAll(parse(svg), 'path').filter((p) => p['@class'] === 'series').map((p) => String(p['@d']));
    const pts = (s: string) => [...s.matchAll(/([ML])([\d.]+) ([\d.]+)/g)].map((m) => ({ cmd: m[1], x: Number(m[2]), y: Number(m[3]) }));
    const a = pts(d[0]);
    assert.equal(a.length, 4);
    assert.deepEqual(a.map((p) => p.cmd), ['M', 'L', 'L', 'L']);
    for (let i = 1; i < a.length; i++) {
      assert.ok(a[i].x > a[i - 1].x, 'x increases');
      assert.ok(a[i].y > a[i - 1].y, 'a falling loss goes down the page (SVG y grows downwards)');
    }
    // The second series has a null at x = 100: the pen lifts (a new M) after it.
    assert.deepEqual(pts(d[1]).map((p) => p.cmd), ['M', 'L', 'M']);
  });

  it('a log y axis leaves out values ≤ 0 and ticks at 1, 2, 5 × 10^k', () => {
    const svg = renderChartSvg({
      title: 'Validation perplexity',
      xLabel: 'step',
      yLabel: 'perplexity',
      logY: true,
      markers: true,
      series: [{ name: 'a', color: 'red', points: [[10, 40], [20, 12], [30, 0], [40, 3]] }],
    });
    assert.equal(XMLValidator.validate(svg), true);
    const doc = parse(svg);
    assert.equal(findAll(doc, 'circle').length, 3, 'a marker per drawable point');
    const yTicks = texts(findAll(doc, 'g').find((g) => g['@class'] === 'axis y-axis'), 'tick');
    assert.deepEqual(yTicks, ['5', '10', '20']);
  });

  it('with no data it is still a valid document (frame, legend, a "no data" mark)', () => {
    const svg = renderChartSvg({ title: 'BLEU', xLabel: 'step', yLabel: 'BLEU', series: [{ name: 'a', color: 'blue', points: [] }] });
    assert.equal(XMLValidator.validate(svg), true);
    const doc = parse(svg);
    assert.equal(findAll(doc, 'path').filter((p) => p['@class'] === 'series').length, 1);
    assert.equal(texts(doc, 'no-data').length, 1);
  });

  it('escapes every text and attribute: any names and colours give a well-formed document', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { minLength: 1, maxLength: 4 }), fc.string(), (named, title) => {
        const s = named.map(([name, color]) => ({ name, color, points: [[1, 2], [2, 3]] as [number, number][] }));
        const svg = renderChartSvg({ title, xLabel: '<x>', yLabel: '"y" & \'z\'', series: s });
        assert.equal(XMLValidator.validate(svg), true, svg.slice(0, 300));
      }),
      { numRuns: 200 },
    );
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('chart ticks', () => {
  it('niceTicks: multiples of 1, 2 or 5 × 10^k inside the range', () => {
    assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(0.13, 0.57, 4), [0.2, 0.4]);
    assert.deepEqual(niceTicks(0.13, 0.57, 8), [0.2, 0.3, 0.4, 0.5]);
    assert.deepEqual(niceTicks(3, 3), [3]);
    assert.deepEqual(niceTicks(NaN, 1), []);
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (lo, span) => {
        const t = niceTicks(lo, lo + span, 5);
        assert.ok(t.length >= 1 && t.length <= 12, `${t.length} ticks for [${lo}, ${lo + span}]`);
        for (const v of t) assert.ok(v >= lo - span * 1e-6 && v <= lo + span * (1 + 1e-6));
      }),
    );
  });

  it('logTicks: 1, 2, 5 × 10^k, or only powers of ten over a wide range', () => {
    assert.deepEqual(logTicks(1.5, 60), [2, 5, 10, 20, 50]);
    assert.deepEqual(logTicks(1, 1e6), [1, 10, 100, 1000, 10000, 100000, 1000000]);
    assert.deepEqual(logTicks(0, 10), []);
  });

  it('formatTick: short labels', () => {
    assert.equal(formatTick(1500), '1500');
    assert.equal(formatTick(25000), '25k');
    assert.equal(formatTick(2_500_000), '2.5M');
    assert.equal(formatTick(0.30000000000000004), '0.3');
  });
});
