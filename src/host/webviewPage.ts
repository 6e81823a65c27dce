/**
 * One webview panel of this extension, beside the editor: the page set-up the
 * Training panel and the attention view share.
 *
 * - The page is not retained while hidden (`retainContextWhenHidden: false`);
 *   each time it loads it sends `{ type: 'ready' }` and the owner replays
 *   what it shows ({@link WebviewPageOptions.onReady}). Messages posted
 *   before that are dropped: the replay includes them.
 * - The page gets the display language and the l10n bundle VS Code loaded
 *   for the extension (`vscode.l10n.bundle`), so its strings follow the UI
 *   language (see src/shared/l10n.ts).
 * - A page that has not said `ready` within {@link READY_TIMEOUT_MS} of
 *   loading while visible (its script or stylesheet failed to load, as
 *   happens when the webview's resource service is not yet up) is loaded
 *   again, at most {@link MAX_RELOADS} times; otherwise it would stay blank.
 */
import * as vscode from 'vscode';
import { describeRejected } from '../protocol/validate';
import { makeNonce, renderWebviewHtml } from './logic/panelHtml';

/** How long a visible page may take to send `ready` before it is loaded again (ms). */
export const READY_TIMEOUT_MS = 5000;
/** Reloads of a page that never said `ready`, before giving up (the Output channel says so). */
export const MAX_RELOADS = 3;

export interface WebviewPageOptions<FromPage extends { type: string }> {
  viewType: string;
  title: string;
  /** Script and stylesheet in dist/webview/ (e.g. `training.js`, `training.css`). */
  script: string;
  style: string;
  /** `<title>` of the page document. */
  documentTitle: string;
  /** Mark `#app` as a polite live region (for screen readers). */
  liveRegion?: boolean;
  preserveFocus: boolean;
  /** The protocol's check of a message from the page (src/protocol/validate.ts); others are ignored and logged. */
  validate(msg: unknown): msg is FromPage;
  /** The page loaded and sent `ready`: post what it should show. */
  onReady(): void;
  /** Any other message from the page (already checked by `validate`). */
  onMessage(msg: FromPage): void;
  /** The user closed the panel. */
  onDispose(): void;
  /** Where to say that a page never loaded. */
  log?(message: string): void;
  /** A panel VS Code restored after a window reload (WebviewPanelSerializer) to use instead of creating one. */
  existing?: vscode.WebviewPanel;
}

export class WebviewPage<ToPage, FromPage extends { type: string }> implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private reloads = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly webviewRoot: vscode.Uri;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly o: WebviewPageOptions<FromPage>,
  ) {
    this.webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const options = { enableScripts: true, localResourceRoots: [this.webviewRoot, vscode.Uri.joinPath(extensionUri, 'media')] };
    if (o.existing) {
      this.panel = o.existing;
      this.panel.webview.options = options;
      this.panel.title = o.title;
    } else {
      this.panel = vscode.window.createWebviewPanel(
        o.viewType,
        o.title,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: o.preserveFocus },
        { ...options, retainContextWhenHidden: false },
      );
    }
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'seq2seq.svg');
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((msg: unknown) => {
        if (!this.o.validate(msg)) {
          this.o.log?.(`${this.o.viewType}: ignored a message that is not part of the page's protocol: ${describeRejected(msg)}`);
          return;
        }
        if (msg.type === 'ready') {
          this.ready = true;
          this.clearTimer();
          this.o.onReady();
        } else {
          this.o.onMessage(msg);
        }
      }),
      this.panel.onDidChangeViewState(() => {
        // A hidden, non-retained page is unloaded; it will load and say `ready` again.
        if (!this.panel.visible) {
          this.ready = false;
          this.clearTimer();
        } else if (!this.ready) {
          this.armTimer();
        }
      }),
      this.panel.onDidDispose(() => {
        this.ready = false;
        this.clearTimer();
        for (const d of this.disposables.splice(0)) d.dispose();
        this.o.onDispose();
      }),
    );
    this.load();
  }

  /** True after the current page sent `ready` (and until it is hidden or closed). */
  get isReady(): boolean {
    return this.ready;
  }

  /** Send `msg` if the page is loaded; otherwise the next `onReady` replay includes it. */
  post(msg: ToPage): void {
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  set title(title: string) {
    this.panel.title = title;
  }

  reveal(preserveFocus: boolean): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  private load(): void {
    const webview = this.panel.webview;
    this.ready = false;
    webview.html = renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, this.o.script)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, this.o.style)).toString(),
      title: this.o.documentTitle,
      liveRegion: this.o.liveRegion,
      language: vscode.env.language,
      l10nBundle: vscode.l10n.bundle,
    });
    this.armTimer();
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.ready || !this.panel.visible) return;
      if (this.reloads >= MAX_RELOADS) {
        this.o.log?.(`${this.o.viewType}: the page did not load after ${MAX_RELOADS} reloads; close and reopen the panel.`);
        return;
      }
      this.reloads++;
      this.o.log?.(`${this.o.viewType}: the page did not report ready within ${READY_TIMEOUT_MS} ms; loading it again (${this.reloads}/${MAX_RELOADS}).`);
      this.load();
    }, READY_TIMEOUT_MS);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.clearTimer();
    this.panel.dispose();
  }
}
