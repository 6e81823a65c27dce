/**
 * The Training panel's "Alignment as it is learned" section: the attention
 * the trainer recorded at each validation for the first sample sentences
 * (`ValidationEvent.alignments`, src/core/training/alignments.ts) as two
 * heatmaps with a step slider — the reference forced through the decoder (the
 * same rows at every step, so the diagonal can be watched forming) beside the
 * model's own output at that step. Live during training (the slider follows
 * the newest validation while it is at the end) and for recorded runs; a run
 * recorded without alignments says so.
 */
import type { RecordedAlignment, ValidationEvent } from '../../src/core/training/events';
import { coverage } from '../../src/core/decoding/coverage';
import { h, labelledSelect } from '../common/dom';
import { coverageLegend, drawHeatmap } from '../common/heatmap';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

/** One validation's recorded alignments. */
interface Snapshot {
  step: number;
  alignments: RecordedAlignment[];
}

/** The section; feed it validation events with {@link AlignmentSection.add}, call {@link AlignmentSection.render} when it changed. */
export class AlignmentSection {
  readonly element: HTMLElement;
  private snapshots: Snapshot[] = [];
  /** Validations seen, with or without alignments. */
  private validations = 0;
  private index = -1;
  /** The slider is at the newest validation: new ones move it. */
  private follow = true;
  private sentence = 0;
  private playing: number | undefined;
  private readonly body: HTMLElement;

  constructor() {
    this.element = h('section', 'alignment-section');
    this.element.id = 'alignment';
    this.element.append(h('h2', undefined, l10n.t('Alignment as it is learned')));
    this.body = this.element.appendChild(h('div', 'alignment-body'));
  }

  /** Forget everything (a replay follows). */
  reset(): void {
    this.snapshots = [];
    this.validations = 0;
    this.index = -1;
    this.follow = true;
    this.stop();
  }

  /** Fold in a validation event (a resumed run may repeat steps: later ones replace them). */
  add(e: ValidationEvent): void {
    this.validations++;
    while (this.snapshots.length && this.snapshots[this.snapshots.length - 1].step >= e.step) this.snapshots.pop();
    if (!e.alignments?.length) return;
    this.snapshots.push({ step: e.step, alignments: e.alignments });
    if (this.follow || this.index < 0) this.index = this.snapshots.length - 1;
    this.index = Math.min(this.index, this.snapshots.length - 1);
  }

  private stop(): void {
    if (this.playing !== undefined) window.clearInterval(this.playing);
    this.playing = undefined;
  }

  render(): void {
    this.body.replaceChildren();
    const n = this.snapshots.length;
    if (n === 0) {
      this.body.append(
        h(
          'p',
          'muted',
          this.validations === 0
            ? l10n.t('Shown after the first validation: the attention of the first sample sentences at each validation.')
            : l10n.t('No alignments were recorded in this run: its model has no attention, or it was trained before the lab recorded them.'),
        ),
      );
      return;
    }
    const snap = this.snapshots[this.index];
    const sentences = this.snapshots[n - 1].alignments;
    this.sentence = Math.min(this.sentence, sentences.length - 1);
    this.body.append(
      h(
        'p',
        'muted intro',
        l10n.t(
          'At each validation the trainer records the attention of the first sample sentences: the reference fed to the decoder (its forced alignment, the same rows at every step) and the model’s own output. Drag the slider to watch the alignment form.',
        ),
      ),
    );
    const controls = h('div', 'alignment-controls');
    labelledSelect(
      controls,
      'alignment-sentence',
      l10n.t('Sentence'),
      sentences.map((a, i) => [String(i), `${i + 1}. ${a.source.slice(0, -1).join(' ')}`]),
      String(this.sentence),
      (v) => {
        this.sentence = Number(v);
        this.render();
      },
    );
    this.body.append(controls);

    const sliderRow = h('div', 'alignment-slider');
    const play = h('button', 'secondary play', this.playing !== undefined ? l10n.t('Pause') : l10n.t('Play'));
    play.type = 'button';
    play.addEventListener('click', () => {
      if (this.playing !== undefined) {
        this.stop();
        this.render();
        return;
      }
      if (this.index >= n - 1) this.index = 0;
      this.follow = false;
      this.playing = window.setInterval(() => {
        if (this.index >= this.snapshots.length - 1) {
          this.stop();
          this.follow = true;
        } else this.index++;
        this.render();
      }, 700);
      this.render();
    });
    const slider = h('input');
    slider.type = 'range';
    slider.id = 'alignment-step';
    slider.min = '0';
    slider.max = String(n - 1);
    slider.step = '1';
    slider.value = String(this.index);
    slider.disabled = n < 2;
    slider.setAttribute('aria-label', l10n.t('Validation step'));
    slider.setAttribute('aria-valuetext', l10n.t('step {0}', snap.step));
    slider.addEventListener('input', () => {
      this.stop();
      this.index = Number(slider.value);
      this.follow = this.index === this.snapshots.length - 1;
      this.render();
      (document.getElementById('alignment-step') as HTMLInputElement | null)?.focus();
    });
    const label = h('span', 'alignment-step-label', l10n.t('step {0} · validation {1} of {2}', snap.step, this.index + 1, n));
    sliderRow.append(play, slider, label);
    this.body.append(sliderRow);

    const a = snap.alignments[this.sentence];
    if (!a) {
      this.body.append(h('p', 'muted', l10n.t('This sentence was not recorded at step {0}.', snap.step)));
      return;
    }
    // Side by side (stacked when narrow): the reference's forced alignment and the output's attention at this step.
    const figures = h('div', 'alignment-figures');
    // Two figures and the 32 px gap between them in the section's width (scrollbar and rounding spared).
    const width = Math.max(240, Math.min(460, ((this.element.clientWidth || 720) - 48) / 2));
    const figure = (cls: string, title: string, caption: string, rows: string[], perMille: number[][]) => {
      const fig = h('figure', `alignment-figure ${cls}`);
      fig.append(h('figcaption', undefined, title), h('div', 'alignment-caption', caption));
      const matrix = perMille.map((r) => r.map((w) => w / 1000));
      const drawn = drawHeatmap({
        sourceTokens: a.source,
        targetTokens: rows,
        attention: matrix,
        colorScale: 'theme',
        availableWidth: width,
        coverage: coverage(matrix),
        className: `heatmap alignment-heatmap ${cls}`,
        ariaLabel: l10n.t('Attention at step {0}: {1} target tokens by {2} source tokens', snap.step, rows.length, a.source.length),
      });
      drawn.svg.dataset.step = String(snap.step);
      fig.append(drawn.wrap);
      figures.append(fig);
    };
    figure('reference-heatmap', l10n.t('The reference, forced (teacher forcing)'), l10n.t('log-prob {0} per token', a.referenceLogProb.toFixed(3)), a.reference, a.referenceAttention);
    figure('output-heatmap', l10n.t('The model’s output at step {0}', snap.step), a.output.filter((t) => t !== '<eos>').join(' ') || l10n.t('(empty)'), a.output, a.outputAttention);
    this.body.append(figures, coverageLegend());
    if (a.truncated) this.body.append(h('p', 'muted', l10n.t('Long sentence: only its first 40 tokens on each side were recorded.')));
  }
}
