#!/usr/bin/env node
// Compiles ahead of time, after `tsc`: the JSON schemas of definitions, configuration and catalog entries into
// dist/generated/<name>.cjs (ajv's standalone code), and the built-in Handlebars templates and their partials into
// dist/generated/templates.cjs. A run then loads neither ajv nor Handlebars' compiler. Each file records the
// fingerprint of what it was made from; at run time a mismatch (a stale build) compiles anew.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const { schemaFingerprint } = await import(path.join(dist, 'util/schema-validator.js'));
const { definitionSchema, definitionValidatorOptions } = await import(path.join(dist, 'definitions/schema.js'));
const { configSchema } = await import(path.join(dist, 'config/schema.js'));
const { configValidatorOptions } = await import(path.join(dist, 'config/parse-config.js'));
const { entrySchema, entryValidatorOptions } = await import(path.join(dist, 'update/entries.js'));

/** Writes one validator; the folder is the one schemaValidator reads (dist/generated). */
async function compileValidator(folder, name, schema, options) {
  const ajv = new Ajv({ ...options, code: { source: true } });
  const code = standaloneCode(ajv, ajv.compile(schema));
  const record = `\nmodule.exports.validate = module.exports;\nmodule.exports.fingerprint = ${JSON.stringify(schemaFingerprint(schema, options))};\n`;
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, `${name}.cjs`), `${code}${record}`);
}

/** Writes the built-in templates and partials, each as `Handlebars.precompile` gives it, and their fingerprint. */
async function compileTemplates(folder) {
  const Handlebars = require('handlebars');
  const { builtInSources, templatesFingerprint, templateCompileOptions } = await import(
    path.join(dist, 'render/templates.js')
  );
  const { pageSource, pageFingerprint } = await import(path.join(dist, 'catalog/html-page.js'));
  const page = pageSource();
  const sources = builtInSources();
  const specs = (group) =>
    `{\n${Object.entries(group)
      .map(([name, source]) => `  ${JSON.stringify(name)}: ${Handlebars.precompile(source, templateCompileOptions)},`)
      .join('\n')}\n}`;
  const code = [
    `module.exports.fingerprint = ${JSON.stringify(templatesFingerprint(Handlebars.VERSION, sources))};`,
    `module.exports.templates = ${specs(sources.templates)};`,
    `module.exports.partials = ${specs(sources.partials)};`,
    `module.exports.page = { fingerprint: ${JSON.stringify(pageFingerprint(Handlebars.VERSION, page))}, spec: ${Handlebars.precompile(page)} };`,
    '',
  ].join('\n');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'templates.cjs'), code);
}

const folder = process.argv[2] ? path.resolve(process.argv[2]) : path.join(dist, 'generated');
await compileValidator(folder, 'definition', definitionSchema, definitionValidatorOptions);
await compileValidator(folder, 'config', configSchema, configValidatorOptions);
await compileValidator(folder, 'catalog-entry', entrySchema, entryValidatorOptions);
await compileTemplates(folder);
