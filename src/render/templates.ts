import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';

/** Bumped whenever a template's output changes meaning: it is part of every generated image's labels. */
export const templateVersion = '1';

/** Built-in templates, keyed by runtime id: adding a runtime is one template file and one line here. */
export const builtInTemplates = {
  python: 'python.Dockerfile.hbs',
  go: 'go.Dockerfile.hbs',
  node: 'node.Dockerfile.hbs',
  flavor: 'flavor.Dockerfile.hbs',
} as const;
export type TemplateId = keyof typeof builtInTemplates;

const handlebars = Handlebars.create();
// JSON-encoding keeps label values and entry points quoted and escaped whatever the definitions hold.
handlebars.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value ?? '')));
handlebars.registerPartial('labels', readFileSync(path.join(packageRoot(), 'templates', 'partials', 'labels.hbs'), 'utf8'));

const compiled = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(id: TemplateId, data: object): string {
  let template = compiled.get(id);
  if (!template) {
    const source = readFileSync(path.join(packageRoot(), 'templates', builtInTemplates[id]), 'utf8');
    template = handlebars.compile(source, { noEscape: true, strict: true });
    compiled.set(id, template);
  }
  // Blank lines left by conditionals are dropped; the Dockerfile reads as if written by hand.
  return `${template(data).replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
