import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import {
  batchSelections,
  countEmptyOutputs,
  countSentences,
  EMPTY_OUTPUT,
  insertBelowTexts,
  notificationText,
  replacementTexts,
  splitSelectionText,
} from '../src/host/logic/translateText';
import {
  cellPaint,
  cellTextTone,
  colorScaleOf,
  formatCellWeight,
  layoutHeatmap,
  luminance,
  MIN_OPACITY,
  rowArgmax,
  truncateLabel,
  weightOpacity,
} from '../src/shared/attentionHeatmap';
import { renderAttentionHtml } from '../src/host/logic/attentionHtml';

describe('Translate Selection: selections → sentences → output', () => {
  it('splits a selection into lines, keeping indentation and blank lines', () => {
    assert.deepEqual(splitSelectionText('  i am cold .\r\n\n\tit is here  '), [
      { indent: '  ', text: 'i am cold .', trailing: '' },
      { indent: '', text: '', trailing: '' },
      { indent: '\t', text: 'it is here', trailing: '  ' },
    ]);
  });

  it('flattens several selections in order; blank lines are sentences "" but not counted', () => {
    const b = batchSelections(['a b\nc d', '', 'e']);
    assert.deepEqual(b.sentences, ['a b', 'c d', '', 'e']);
    assert.equal(countSentences(b), 3);
    assert.equal(b.selections.length, 3);
  });

  it('replace: each line becomes its translation with the same whitespace, per selection', () => {
    const b = batchSelections(['  a b\n\nc d ', 'e']);
    assert.deepEqual(replacementTexts(b, ['A B', '', 'C D', 'E'], '\n'), ['  A B\n\nC D ', 'E']);
    assert.deepEqual(replacementTexts(batchSelections(['x\ny']), ['X', 'Y'], '\r\n'), ['X\r\nY']);
  });

  it('insert below: a line break then the indented translations; blank lines dropped; blank selection inserts nothing', () => {
    const b = batchSelections(['  a b\n\nc d', '   ']);
    assert.deepEqual(insertBelowTexts(b, ['A B', '', 'C D', ''], '\n'), ['\n  A B\nC D', '']);
  });

  it('rejects a translation count that does not match', () => {
    const b = batchSelections(['a\nb']);
    assert.throws(() => replacementTexts(b, ['A'], '\n'), /expected 2 translations, got 1/);
    assert.throws(() => insertBelowTexts(b, ['A', 'B', 'C'], '\n'), /expected 2 translations, got 3/);
  });

  it('replace round-trips: translating with the identity gives back the selection text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\r\n', 'é') }), { minLength: 1, maxLength: 4 }), (texts) => {
        const norm = texts.map((t) => t.replace(/\r\n/g, '\n'));
        const b = batchSelections(norm);
        assert.deepEqual(replacementTexts(b, b.sentences, '\n'), norm);
      }),
    );
  });

  it('notification text: one sentence quoted, several summarised, long text cut', () => {
    const one = batchSelections(['it is cold']);
    assert.equal(notificationText(one, ['il fait froid .']), 'Translation: “il fait froid .”');
    assert.equal(notificationText(batchSelections(['x\n\ny']), ['a', '', 'b']), 'Translations (2): “a” · “b”');
    assert.match(notificationText(batchSelections(['1\n2\n3\n4\n5']), ['a', 'b', 'c', 'd', 'e']), /“c” … and 2 more$/);
    assert.match(notificationText(batchSelections(['\n']), ['', '']), /blank/);
    const long = notificationText(one, ['x'.repeat(1000)], 3, 100);
    assert.equal(long.length, 100);
    assert.ok(long.endsWith('…'));
    assert.throws(() => notificationText(one, ['a', 'b']), RangeError);
  });

  it('an empty model output is reported as such, never as a blank selection, and never erases the sentence', () => {
    const one = batchSelections(['it is cold']);
    assert.equal(notificationText(one, ['']), `Translation: ${EMPTY_OUTPUT}`);
    assert.doesNotMatch(notificationText(one, ['']), /blank/);
    const two = batchSelections(['  it is cold\nhello  ']);
    assert.equal(countEmptyOutputs(two, ['', 'bonjour']), 1);
    assert.equal(notificationText(two, ['', 'bonjour']), `Translations (2): ${EMPTY_OUTPUT} · “bonjour” (1 without output)`);
    assert.deepEqual(replacementTexts(two, ['', 'bonjour'], '\n'), ['  it is cold\nbonjour  ']);
    assert.deepEqual(insertBelowTexts(two, ['', 'bonjour'], '\n'), ['\nbonjour']);
    assert.deepEqual(insertBelowTexts(one, [''], '\n'), ['']);
  });
});

describe('attention heatmap logic', () => {
  it('opacity: 0 → MIN_OPACITY, 1 → 1, monotone, clamped, NaN → 0', () => {
    assert.equal(weightOpacity(0), MIN_OPACITY);
    assert.equal(weightOpacity(1), 1);
    assert.equal(weightOpacity(2), 1);
    assert.equal(weightOpacity(-1), MIN_OPACITY);
    assert.equal(weightOpacity(NaN), MIN_OPACITY);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        assert.ok(weightOpacity(lo) <= weightOpacity(hi));
      }),
    );
    // Small weights stay distinguishable: 0.1 is clearly darker than 0.
    assert.ok(weightOpacity(0.1) - weightOpacity(0) > 0.15);
  });

  it('cell numbers switch to the background colour on saturated cells', () => {
    assert.equal(cellTextTone(0.05), 'weak');
    assert.equal(cellTextTone(0.95), 'strong');
    assert.equal(formatCellWeight(0.4213), '.42');
    assert.equal(formatCellWeight(0.999), '1');
    assert.equal(formatCellWeight(NaN), '');
  });

  it('colour scales: theme and grayscale use the opacity curve; viridis darkest at 0, brightest at 1, its numbers in the contrasting black or white', () => {
    for (const w of [0, 0.1, 0.5, 1]) {
      assert.deepEqual(cellPaint(w, 'theme'), { opacity: weightOpacity(w), text: cellTextTone(w) === 'strong' ? 'background' : 'foreground' });
      assert.deepEqual(cellPaint(w, 'grayscale'), cellPaint(w, 'theme'));
    }
    assert.equal(cellPaint(0, 'viridis').fill, '#440154');
    assert.equal(cellPaint(1, 'viridis').fill, '#fde725');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const [pl, ph] = [cellPaint(lo, 'viridis'), cellPaint(hi, 'viridis')];
        assert.ok(luminance(pl.fill!) <= luminance(ph.fill!) + 1e-9, `viridis gets lighter with the weight (${lo} → ${pl.fill}, ${hi} → ${ph.fill})`);
        assert.equal(pl.opacity, 1);
        // The number's colour is the one of black and white with the higher WCAG contrast on the cell.
        const L = luminance(pl.fill!);
        assert.equal(pl.text, (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? 'black' : 'white');
      }),
    );
    assert.equal(cellPaint(NaN, 'viridis').fill, '#440154');
    assert.equal(colorScaleOf('viridis'), 'viridis');
    assert.equal(colorScaleOf('rainbow'), 'theme');
    assert.equal(colorScaleOf(undefined), 'theme');
  });

  it('truncates long labels with an ellipsis, counting code points', () => {
    assert.equal(truncateLabel('short', 8), 'short');
    assert.equal(truncateLabel('internationalisation', 8), 'interna…');
    assert.equal(truncateLabel('😀😀😀😀', 3), '😀😀…');
  });

  it('layout: short labels stay horizontal, long ones rotate and get room above the grid', () => {
    const short = layoutHeatmap(['a', 'b', '<eos>'], ['x', '<eos>'], { availableWidth: 600 });
    assert.equal(short.rotateColumns, false);
    assert.deepEqual(short.columnLabels, ['a', 'b', '<eos>']);
    assert.equal(short.height, short.top + 2 * short.cell + 4);
    assert.ok(short.left >= 5 * 7.2);

    const long = layoutHeatmap(['extraordinarily', '<unk>', 'a', '<eos>'], ['x'], { availableWidth: 600 });
    assert.equal(long.rotateColumns, true);
    assert.ok(long.top > 'extraordinarily'.length * 7.2 * 0.8);
  });

  it('layout: many columns shrink cells to fit, never below 14 px; big cells show numbers', () => {
    const many = layoutHeatmap(Array.from({ length: 60 }, (_, i) => `w${i}`), ['x'], { availableWidth: 500 });
    assert.equal(many.cell, 14);
    assert.equal(many.showNumbers, false);
    const few = layoutHeatmap(['a', 'b'], ['x'], { availableWidth: 900 });
    assert.ok(few.cell <= 44 && few.showNumbers);
    const mid = layoutHeatmap(Array.from({ length: 10 }, () => 'ab'), ['x'], { availableWidth: 400 });
    assert.ok(mid.left + 10 * mid.cell <= 400);
  });

  it('row arg-max marks the largest weight per row', () => {
    assert.deepEqual(rowArgmax([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], []]), [1, 0, -1]);
  });

  it('page HTML: CSP allows only nonce scripts and the webview source for styles', () => {
    const html = renderAttentionHtml({ cspSource: 'vscode-resource:', nonce: 'abc123', scriptUri: 'vscode-resource:/a.js', styleUri: 'vscode-resource:/a.css' });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(html, /<script nonce="abc123" src="vscode-resource:\/a.js">/);
    assert.equal((html.match(/<script(?! type="application\/json")/g) ?? []).length, 1, 'one executable script (the other is the l10n data block)');
  });
});
