/**
 * Loaded by mocha before every test file (`.mocharc.json`): tests train on
 * one thread unless they ask for more, so `train.threads: "auto"` (the
 * default) gives the same numbers on every machine. The resolution of
 * "auto" itself is tested in `test/parallel.test.ts` with an explicit
 * environment.
 */
process.env.SEQ2SEQ_THREADS ??= '1';
