import { strict as assert } from 'assert';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

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

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

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

  it('every setting has a description, a default and a scope', () => {
    for (const [key, p] of Object.entries(pkg.contributes.configuration.properties)) {
      assert.ok(p.description || p.markdownDescription, `${key}: description`);
      assert.ok('default' in p, `${key}: default`);
      assert.ok(p.scope, `${key}: scope`);
    }
  });
});
