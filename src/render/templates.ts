import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { packageRoot } from '../util/package-root.js';

/** Bumped whenever a built-in template's output changes meaning: part of every image's build inputs. */
export const templateVersion = '3';

/** Built-in templates, keyed by id: adding a runtime is one template file and one line here. */
export const builtInTemplates: Record<string, string> = {
  python: 'python.Dockerfile.hbs',
  go: 'go.Dockerfile.hbs',
  node: 'node.Dockerfile.hbs',
  flavor: 'flavor.Dockerfile.hbs',
};

const partials = ['labels', 'index-trust', 'build-trust', 'runtime-trust', 'job-adapter-build'];

/** Escapes a value for a double-quoted Dockerfile string: no quote, backslash, `$` or line break stays active. */
export function dockerString(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

function createEnvironment(): typeof Handlebars {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('label', (value: unknown) => new Handlebars.SafeString(dockerString(value)));
  for (const partial of partials) {
    handlebars.registerPartial(
      partial,
      readFileSync(path.join(packageRoot(), 'templates', 'partials', `${partial}.hbs`), 'utf8'),
    );
  }
  return handlebars;
}

/**
 * The templates of one run: the built-ins, overridden or extended by the configuration (`templates` in
 * neurons.json: id -> file).
 */
export class TemplateSet {
  private readonly handlebars = createEnvironment();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();
  private readonly files: Record<string, string>;

  constructor(overrides: Record<string, string> = {}) {
    const builtIns = Object.fromEntries(
      Object.entries(builtInTemplates).map(([id, file]) => [id, path.join(packageRoot(), 'templates', file)]),
    );
    this.files = { ...builtIns, ...overrides };
  }

  has(id: string): boolean {
    return id in this.files;
  }

  /** `python/2` for a built-in; `python/custom` when the configuration overrides it. */
  templateId(id: string): string {
    return this.files[id] === path.join(packageRoot(), 'templates', builtInTemplates[id] ?? '')
      ? `${id}/${templateVersion}`
      : `${id}/custom`;
  }

  /** The template's source text: part of the build inputs of every image it renders. */
  source(id: string): string {
    const file = this.files[id];
    if (!file)
      throw new UsageError({
        code: 'RENDER_NO_TEMPLATE',
        message: `no template '${id}'`,
        hint: 'add it under "templates" in neurons.json',
      });
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError({
        code: 'RENDER_TEMPLATE_UNREADABLE',
        file,
        message: `cannot read template '${id}': ${(error as Error).message}`,
        hint: 'check the path under "templates" in neurons.json',
      });
    }
  }

  render(id: string, data: object): string {
    let template = this.compiled.get(id);
    if (!template) {
      template = this.handlebars.compile(this.source(id), { noEscape: true, strict: true });
      this.compiled.set(id, template);
    }
    let text: string;
    try {
      text = template(data);
    } catch (error) {
      throw new UsageError({
        code: 'RENDER_TEMPLATE_FAILED',
        file: this.files[id] ?? id,
        message: `template '${id}' failed: ${(error as Error).message}`,
        hint: 'see the README section "Images" for the variables a template receives',
      });
    }
    // Blank lines left by conditionals are dropped, so the Dockerfile reads as if written by hand.
    return `${text.replace(/\n{3,}/g, '\n\n').trim()}\n`;
  }
}
