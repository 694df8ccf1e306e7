// Times `discoverRepository` on the real Cortex-Analyzers definitions (data only, hence definitionsOnly).
// Build first: npx tsc -p tsconfig.json && node bench/validate-corpus.mjs [corpus-dir]
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { discoverRepository } from '../dist/definitions/discover.js';

const corpus = process.argv[2] ?? fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
const runs = 10;
const budgetMs = 300;

if (!existsSync(corpus)) {
  console.log(`skipped: no corpus at ${corpus}`);
  process.exit(0);
}

const durations = [];
let discovery;
for (let run = 0; run < runs; run++) {
  const start = performance.now();
  discovery = await discoverRepository(corpus, { definitionsOnly: true });
  durations.push(performance.now() - start);
}
const first = durations[0];
durations.sort((a, b) => a - b);
const median = (durations[runs / 2 - 1] + durations[runs / 2]) / 2;
const flavors = discovery.workers.reduce((sum, worker) => sum + worker.flavors.length, 0);
console.log(`corpus: ${corpus}`);
console.log(
  `flavors: ${flavors}, folders: ${discovery.workers.length}, errors: ${discovery.errors.length}, warnings: ${discovery.warnings.length}`,
);
console.log(`first run: ${first.toFixed(1)} ms (includes compiling the schema)`);
console.log(
  `median of ${runs} runs: ${median.toFixed(1)} ms (budget ${budgetMs} ms)${median > budgetMs ? ' OVER BUDGET' : ''}`,
);
process.exitCode = median > budgetMs ? 1 : 0;
