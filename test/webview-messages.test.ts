/**
 * Messages from the webviews are data from a web page: the host acts only on
 * those that match their protocol (src/protocol/validate.ts); anything else
 * is ignored and logged by WebviewPage.
 */
import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { describeRejected, isAttentionToHost, isPanelToHost } from '../src/protocol/validate';

describe('webview → host message validation', () => {
  it('accepts exactly the Training panel protocol: ready, stop, revealRun, resume', () => {
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

  it('no random value passes unless it is one of the protocol messages', () => {
    const valid = (v: unknown) => JSON.stringify(v);
    const panel = new Set(['ready', 'stop', 'revealRun', 'resume'].map((type) => valid({ type })));
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }), (v) => {
        if (isPanelToHost(v)) assert.ok(panel.has(valid(v)), `accepted ${describeRejected(v)}`);
        if (isAttentionToHost(v)) {
          const m = v as { type: string; index?: number };
          assert.ok(m.type === 'ready' || (m.type === 'select' && Number.isSafeInteger(m.index) && m.index! >= 0), `accepted ${describeRejected(v)}`);
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
