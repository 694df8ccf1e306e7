#!/usr/bin/env node
// Bundles the command line, after `tsc`: dist/cli/main.js and the modules it imports become a few files in
// dist/bundle/, one per command (esbuild, ESM, split at each dynamic import). Node's loader spends most of a
// command's start resolving, reading and linking modules one by one (about 250 for a pipeline run); a bundle loads
// in half the time. Packages stay outside the bundle, loaded from node_modules as before. dist/bundle/ sits one level
// under dist/ like every compiled folder, so what a module reads beside itself (`../generated/...`) and the package
// root it looks up are found the same way. bin/neurons loads dist/bundle/main.js.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const outdir = `${dist}bundle`;
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [`${dist}cli/main.js`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
