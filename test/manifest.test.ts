import { strict as assert } from 'assert';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { sampleWorkspaceFiles } from '../src/core/data/sampleData';
import { localizedManifest, ROOT } from './helpers/manifest';

interface Manifest {
  icon?: string;
  extensionKind?: string[];
  keywords?: string[];
  galleryBanner?: { color: string; theme: string };
  contributes: {
    commands: { command: string; title: string }[];
    keybindings?: { command: string; key: string; mac?: string; when?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { scope?: string; description?: string; markdownDescription?: string; default?: unknown }> };
  };
}

const pkg = localizedManifest<Manifest>();

describe('extension manifest (package.json)', () => {
  it('runs where the workspace is (Remote-SSH, Dev Containers, Codespaces, code-server): extensionKind ["workspace"]', () => {
    assert.deepEqual(pkg.extensionKind, ['workspace']);
  });

  it('has a 128×128 PNG icon, a gallery banner and keywords', () => {
    assert.ok(pkg.icon && /\.png$/.test(pkg.icon), 'the marketplace needs a PNG icon');
    const png = readFileSync(path.join(ROOT, pkg.icon!));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128, 'width');
    assert.equal(png.readUInt32BE(20), 128, 'height');
    assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i);
    assert.ok((pkg.keywords ?? []).length > 0 && pkg.keywords!.length <= 30, 'vsce allows at most 30 keywords');
    assert.ok(existsSync(path.join(ROOT, 'CHANGELOG.md')));
  });

  it('binds Translate Selection to a key while text is selected, and the command is in the editor context menu under the same condition', () => {
    const kb = (pkg.contributes.keybindings ?? []).find((k) => k.command === 'seq2seq.translateSelection');
    assert.ok(kb, 'a keybinding for seq2seq.translateSelection');
    assert.match(kb!.when ?? '', /editorHasSelection/);
    assert.ok(kb!.mac, 'a macOS key as well');
    const menu = pkg.contributes.menus['editor/context'].find((m) => m.command === 'seq2seq.translateSelection');
    assert.match(menu?.when ?? '', /editorHasSelection/);
  });

  it('every keybinding and menu entry names a contributed command', () => {
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const k of pkg.contributes.keybindings ?? []) assert.ok(commands.has(k.command), k.command);
    for (const [where, items] of Object.entries(pkg.contributes.menus)) for (const m of items) assert.ok(commands.has(m.command), `${where}: ${m.command}`);
  });

  it('supports untrusted workspaces in a limited way: the settings that choose where runs go and how the worker runs, and the Slurm shell lines and sbatch options, are restricted', () => {
    const trust = (pkg as unknown as { capabilities?: { untrustedWorkspaces?: { supported: unknown; description?: string; restrictedConfigurations?: string[] } } }).capabilities?.untrustedWorkspaces;
    assert.equal(trust?.supported, 'limited');
    assert.ok(trust?.description && trust.description.length > 20, 'says what is limited');
    assert.deepEqual([...(trust?.restrictedConfigurations ?? [])].sort(), ['seq2seq.backend', 'seq2seq.runsFolder', 'seq2seq.slurm.sbatchArgs', 'seq2seq.slurm.setup', 'seq2seq.slurm.use', 'seq2seq.threads']);
    for (const key of trust!.restrictedConfigurations!) assert.ok(key in pkg.contributes.configuration.properties, `${key} is a setting`);
  });

  it('every setting has a description, a default and a scope', () => {
    for (const [key, p] of Object.entries(pkg.contributes.configuration.properties)) {
      assert.ok(p.description || p.markdownDescription, `${key}: description`);
      assert.ok('default' in p, `${key}: default`);
      assert.ok(p.scope, `${key}: scope`);
    }
  });
});

for (const locale of [undefined, 'zh-cn']) describe(`Get Started walkthrough (package.json contributes.walkthroughs${locale ? `, ${locale}` : ''})`, () => {
  const full = localizedManifest<{
    name: string; publisher: string;
    contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]>; viewsWelcome: { contents: string }[]; walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string }; completionEvents: string[] }[] }[] };
  }>(locale);
  const walkthrough = full.contributes.walkthroughs.find((w) => w.id === 'getStarted')!;
  const commands = new Set(full.contributes.commands.map((c) => c.command));
  const views = new Set(Object.values(full.contributes.views).flat().map((v) => v.id));
  /** Commands VS Code provides that the walkthrough links to. */
  const BUILT_IN = new Set(['workbench.action.quickOpen', 'workbench.action.openWalkthrough']);
  const links = (text: string) => [...text.matchAll(/\(command:([\w.-]+)(\?([^)]*))?\)/g)].map((m) => ({ command: m[1], args: m[3] }));

  it('walks from the sample workspace through training, translation and attention to the no-attention baseline', () => {
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['sample', 'train', 'watch', 'translate', 'attention', 'bottleneck']);
  });

  it('every step has its explanation on disk, a button and a completion event', () => {
    for (const s of walkthrough.steps) {
      assert.ok(s.media.markdown && existsSync(path.join(ROOT, s.media.markdown)), `${s.id}: media`);
      assert.ok(links(s.description).length > 0, `${s.id}: a button`);
      assert.ok(s.completionEvents.length > 0, `${s.id}: completion event`);
    }
  });

  it('every button runs a contributed command, a view focus command or a known built-in, with JSON arguments', () => {
    const all = [...walkthrough.steps.map((s) => s.description), ...full.contributes.viewsWelcome.map((v) => v.contents)].flatMap(links);
    for (const { command, args } of all) {
      const known = commands.has(command) || BUILT_IN.has(command) || (command.endsWith('.focus') && views.has(command.slice(0, -'.focus'.length)));
      assert.ok(known, `unknown command ${command}`);
      if (args !== undefined) assert.ok(Array.isArray(JSON.parse(decodeURIComponent(args))), `${command}: arguments are a JSON array`);
    }
    const open = all.find((l) => l.command === 'workbench.action.openWalkthrough')!;
    assert.equal((JSON.parse(decodeURIComponent(open.args!)) as string[])[0], `${full.publisher}.${full.name}#getStarted`);
  });

  it('completion events name real commands, views or the context keys the extension sets', () => {
    const source = ['trainingController.ts', 'modelsTree.ts'].map((f) => readFileSync(path.join(ROOT, 'src', 'host', f), 'utf8')).join('\n');
    for (const s of walkthrough.steps) {
      for (const e of s.completionEvents) {
        const [kind, what] = e.split(':');
        if (kind === 'onCommand') assert.ok(commands.has(what), e);
        else if (kind === 'onView') assert.ok(views.has(what), e);
        else if (kind === 'onContext') assert.ok(source.includes(`'${what}'`), `${e}: no setContext for it`);
        else assert.fail(`unexpected completion event ${e}`);
      }
    }
  });

  it('the configs the buttons train are the ones the sample workspace writes', () => {
    const files = Object.keys(sampleWorkspaceFiles());
    for (const l of walkthrough.steps.flatMap((s) => links(s.description))) {
      if (l.command !== 'seq2seq.trainModel' && l.command !== 'workbench.action.quickOpen') continue;
      const [file] = JSON.parse(decodeURIComponent(l.args!)) as string[];
      assert.ok(files.includes(file), `${file} is not in the sample workspace`);
    }
  });
});
