#!/usr/bin/env node
// Command-line entry point: runs the bundled CLI (dist/cli.js, built by scripts/build.mjs).
'use strict';
const path = require('path');
const fs = require('fs');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    'seq2seq: the CLI has not been built (dist/cli.js is missing).\n' +
      'Run `npm install` (which builds) or `npm run build` in the seq2seq-lab folder, then try again.\n',
  );
  process.exit(1);
}
require(cli).main();
