/**
 * The layering of the source tree, checked by dependency-cruiser
 * (`npx depcruise src webview --config .dependency-cruiser.cjs`, run by
 * test/architecture.test.ts):
 *
 *   webview/ ─┐
 *   src/host ─┼─> src/protocol, src/shared ─> src/core (plain Node)
 *   src/cli ──┤
 *   src/worker┘
 *
 * No import cycles anywhere (type-only imports count: they tie the
 * modules' meanings together just as much).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules that cannot be read or tested alone; put the shared types where both sides can import them.',
      from: { path: '^(src|webview)/' },
      to: { circular: true },
    },
    {
      name: 'core-is-plain-node',
      severity: 'error',
      comment: 'src/core runs and is tested in plain Node: no vscode, and nothing from the layers above it.',
      from: { path: '^src/core/' },
      to: { path: ['^vscode$', '^src/(host|cli|worker|protocol|shared)/', '^webview/'] },
    },
    {
      name: 'shells-do-not-reach-into-the-host',
      severity: 'error',
      comment: 'The CLI, the workers, the protocols and shared code run without VS Code: what they share with the extension belongs below src/host.',
      from: { path: '^src/(cli|worker|protocol|shared)/' },
      to: { path: ['^vscode$', '^src/host/'] },
    },
    {
      name: 'webviews-are-pages',
      severity: 'error',
      comment: 'A webview talks to the host only through its protocol module; it imports no host, worker or CLI code.',
      from: { path: '^webview/' },
      to: { path: ['^vscode$', '^src/(host|worker|cli)/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
