/**
 * `npm run docs:config`: write docs/configuration.md from
 * schemas/config.schema.json (scripts/lib/configDocs.ts). With `--check`,
 * write nothing and exit 1 when the committed page is not the generated one.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { DEFAULT_RUN_CONFIG } from '../src/core/config/configLoader';
import { renderConfigDocs, type SchemaNode } from './lib/configDocs';

const root = path.resolve(__dirname, '..');
const page = path.join(root, 'docs', 'configuration.md');
const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'config.schema.json'), 'utf8')) as SchemaNode;
const text = renderConfigDocs(schema, DEFAULT_RUN_CONFIG as unknown as Record<string, unknown>);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(page, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== text) {
    console.error('docs/configuration.md is not what schemas/config.schema.json generates: run `npm run docs:config`.');
    process.exit(1);
  }
  console.log('docs/configuration.md is up to date.');
} else {
  writeFileSync(page, text);
  console.log(`wrote ${path.relative(process.cwd(), page)}`);
}
