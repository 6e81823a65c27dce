/**
 * Render the extension icon `media/icon.png` (128×128, what the marketplace
 * and the Extensions view show) from its source `media/icon.svg` in headless
 * Chromium (the e2e suite's; `bash scripts/e2e/setup.sh`).
 *
 *   npx tsx scripts/render-icon.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { REPO_ROOT } from '../test/e2e/harness';

async function main(): Promise<void> {
  const svg = fs.readFileSync(path.join(REPO_ROOT, 'media', 'icon.svg'), 'utf8');
  const executablePath = process.env.SEQ2SEQ_E2E_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: run bash scripts/e2e/setup.sh or set SEQ2SEQ_E2E_CHROMIUM');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', '<svg width="128" height="128" ')}</body></html>`);
    const out = path.join(REPO_ROOT, 'media', 'icon.png');
    await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: 128, height: 128 } });
    console.log(out);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
