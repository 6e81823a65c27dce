/**
 * Messages from the webviews are data from a web page: the host acts only on
 * those that match their protocol (src/protocol/validate.ts); anything else
 * is ignored and logged by WebviewPage.
 */
import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { describeRejected, isAttentionToHost, isCompareToHost, isExportChartCommand, isPanelToHost } from '../src/protocol/validate';

describe('webview → host message validation', () => {
  it('accepts exactly the Training panel protocol: ready, stop, revealRun, resume (and exportChart, below)', () => {
    for (const type of ['ready', 'stop', 'revealRun', 'resume']) assert.ok(isPanelToHost({ type }), type);
    for (const bad of [null, undefined, 'stop', 42, [], [{ type: 'stop' }], {}, { type: 'Stop' }, { type: 'stop', extra: 1 }, { type: 'eval' }, { type: ['stop'] }, { type: 'select', index: 0 }]) {
      assert.equal(isPanelToHost(bad), false, JSON.stringify(bad));
    }
  });

  it('accepts exactly the attention view protocol: ready, select with a whole index ≥ 0', () => {
    assert.ok(isAttentionToHost({ type: 'ready' }));
    assert.ok(isAttentionToHost({ type: 'select', index: 0 }));
    assert.ok(isAttentionToHost({ type: 'select', index: 49 }));
    for (const bad of [null, {}, { type: 'select' }, { type: 'select', index: -1 }, { type: 'select', index: 1.5 }, { type: 'select', index: '2' }, { type: 'select', index: NaN }, { type: 'select', index: 1e300 }, { type: 'select', index: 0, html: '<img>' }, { type: 'ready', x: 1 }, { type: 'stop' }]) {
      assert.equal(isAttentionToHost(bad), false, JSON.stringify(bad));
    }
  });

  it('accepts the attention view’s forced-decoding requests: whatIf with a prefix of string tokens (and a typed text), reference with a string; bounded', () => {
    const good = [
      { type: 'whatIf', index: 0, prefix: { tokens: [] } },
      { type: 'whatIf', index: 3, prefix: { tokens: ['le', 'chat'] } },
      { type: 'whatIf', index: 0, prefix: { tokens: ['le'], text: 'chien' } },
      { type: 'reference', index: 2, reference: 'le chat dort.' },
      { type: 'reference', index: 0, reference: '' },
    ];
    for (const m of good) assert.ok(isAttentionToHost(m), JSON.stringify(m));
    const bad = [
      { type: 'whatIf', index: 0 },
      { type: 'whatIf', index: -1, prefix: { tokens: [] } },
      { type: 'whatIf', index: 0, prefix: { tokens: 'le chat' } },
      { type: 'whatIf', index: 0, prefix: { tokens: [1, 2] } },
      { type: 'whatIf', index: 0, prefix: { tokens: [], text: 5 } },
      { type: 'whatIf', index: 0, prefix: { tokens: [], html: '<img>' } },
      { type: 'whatIf', index: 0, prefix: { tokens: new Array(201).fill('a') } },
      { type: 'whatIf', index: 0, prefix: { tokens: [] }, extra: true },
      { type: 'reference', index: 0 },
      { type: 'reference', index: 0, reference: ['a'] },
      { type: 'reference', index: 0, reference: 'x'.repeat(2001) },
      { type: 'reference', index: 1.5, reference: 'a' },
    ];
    for (const m of bad) assert.equal(isAttentionToHost(m), false, JSON.stringify(m));
  });

  const svg = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>';
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]).toString('base64');

  it('accepts a chart export: svg with an SVG document, png with base64, a name; from the Training panel, the Compare Runs view and the attention view', () => {
    const good = [
      { type: 'exportChart', format: 'svg', name: 'tiny-training-loss', data: svg },
      { type: 'exportChart', format: 'svg', name: 'x', data: '<svg width="1"></svg>' },
      { type: 'exportChart', format: 'png', name: 'tiny-validation-bleu', data: png },
    ];
    for (const m of good) {
      assert.ok(isExportChartCommand(m), JSON.stringify(m));
      assert.ok(isPanelToHost(m) && isCompareToHost(m) && isAttentionToHost(m), JSON.stringify(m));
    }
    const bad = [
      { type: 'exportChart', format: 'gif', name: 'x', data: png },
      { type: 'exportChart', format: 'svg', name: 'x', data: '<html><svg></svg></html>' },
      { type: 'exportChart', format: 'svg', name: '', data: svg },
      { type: 'exportChart', format: 'svg', name: 'x'.repeat(201), data: svg },
      { type: 'exportChart', format: 'png', name: 'x', data: 'not base64!' },
      { type: 'exportChart', format: 'png', name: 'x', data: 'abc' },
      { type: 'exportChart', format: 'png', name: 'x', data: '' },
      { type: 'exportChart', format: 'png', name: 'x', data: png, path: '/etc/passwd' },
      { type: 'exportChart', format: 'png', name: 7, data: png },
      { type: 'exportChart', format: 'png', name: 'x', data: 'A'.repeat(20_000_004) },
    ];
    for (const m of bad) assert.equal(isExportChartCommand(m) || isPanelToHost(m) || isCompareToHost(m) || isAttentionToHost(m), false, JSON.stringify(m).slice(0, 120));
  });

  it('accepts exactly the Compare Runs view protocol: ready, exportChart, exportCsv with a run folder', () => {
    assert.ok(isCompareToHost({ type: 'ready' }));
    assert.ok(isCompareToHost({ type: 'exportCsv', runDir: '/w/runs/tiny' }));
    for (const bad of [null, {}, { type: 'ready', x: 1 }, { type: 'exportCsv' }, { type: 'exportCsv', runDir: '' }, { type: 'exportCsv', runDir: 3 }, { type: 'exportCsv', runDir: '/r', extra: 1 }, { type: 'stop' }]) {
      assert.equal(isCompareToHost(bad), false, JSON.stringify(bad));
    }
  });

  it('no random value passes unless it is one of the protocol messages', () => {
    const valid = (v: unknown) => JSON.stringify(v);
    const panel = new Set(['ready', 'stop', 'revealRun', 'resume'].map((type) => valid({ type })));
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }), (v) => {
        if (isPanelToHost(v)) assert.ok(panel.has(valid(v)), `accepted ${describeRejected(v)}`);
        if (isCompareToHost(v)) {
          const m = v as { type: string };
          assert.ok(m.type === 'ready' || m.type === 'exportCsv' || m.type === 'exportChart', `accepted ${describeRejected(v)}`);
        }
        if (isAttentionToHost(v)) {
          const m = v as { type: string; index?: number };
          assert.ok(m.type === 'ready' || m.type === 'exportChart' || (m.type === 'select' && Number.isSafeInteger(m.index) && m.index! >= 0), `accepted ${describeRejected(v)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a rejected message is logged as short JSON, whatever it is', () => {
    assert.equal(describeRejected({ type: 'x' }), '{"type":"x"}');
    assert.equal(describeRejected('a'.repeat(500)).length, 201);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeRejected(cyclic), '[object Object]');
    assert.equal(describeRejected(10n), '[object BigInt]');
    assert.equal(describeRejected(undefined), 'undefined');
  });
});
