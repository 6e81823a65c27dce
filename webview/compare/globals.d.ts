/** Stylesheets imported for their side effect; esbuild emits them as dist/webview/compare.css. */
declare module '*.css';

/** Provided by VS Code inside a webview (and by the preview page's stub). May be called once per page. */
declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
