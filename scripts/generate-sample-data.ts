/**
 * Writes the sample data sets into `sample-data/` (see `src/core/data/sampleData.ts`).
 *
 * Usage: `npx tsx scripts/generate-sample-data.ts [outDir] [--seed N]`
 * (defaults: `sample-data`, seed 2024); `npm run generate-sample-data`.
 */
import { DEFAULT_SEED, generateSampleData } from '../src/core/data/sampleData';

const args = process.argv.slice(2);
let seed = DEFAULT_SEED;
let outDir = 'sample-data';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seed') {
    seed = Number(args[++i]);
    if (!Number.isInteger(seed)) {
      console.error('--seed needs an integer');
      process.exit(2);
    }
  } else outDir = args[i];
}
generateSampleData(outDir, seed).then(
  (files) => console.log(`wrote ${files.join(', ')} to ${outDir} (seed ${seed})`),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
