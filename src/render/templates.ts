import type Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { packageRoot } from '../util/package-root.js';

const require = createRequire(import.meta.url);

/** Bumped whenever a built-in template's output changes meaning: part of every image's build inputs. */
export const templateVersion = '3';

/** Built-in templates, keyed by id: adding a runtime is one template file and one line here. */
export const builtInTemplates: Record<string, string> = {
  python: 'python.Dockerfile.hbs',
  go: 'go.Dockerfile.hbs',
  node: 'node.Dockerfile.hbs',
  flavor: 'flavor.Dockerfile.hbs',
};

/** The partials every template may use (`templates/partials/<name>.hbs`). */
export const templatePartials = ['labels', 'index-trust', 'build-trust', 'runtime-trust', 'job-adapter-build'];

/** How every template is compiled: Dockerfiles are not HTML, and a variable a template names must exist. */
export const templateCompileOptions = { noEscape: true, strict: true } as const;

/** Where `npm run build` writes the built-in templates and partials compiled ahead (scripts/compile-validators.mjs). */
export const precompiledTemplatesFile = '../generated/templates.cjs';

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

/** The sources the built-in templates are compiled from, by id, and the partials', by name. */
export function builtInSources(): { templates: Record<string, string>; partials: Record<string, string> } {
  return {
    templates: Object.fromEntries(Object.entries(builtInTemplates).map(([id, file]) => [id, readTemplate(file)])),
    partials: partialSources(),
  };
}

function partialSources(): Record<string, string> {
  return Object.fromEntries(templatePartials.map((name) => [name, readTemplate(path.join('partials', `${name}.hbs`))]));
}

function readTemplate(file: string): string {
  return readFileSync(path.join(packageRoot(), 'templates', file), 'utf8');
}

/** What templates compiled ahead record of what they were compiled from: the sources, the compiler and options. */
export function templatesFingerprint(version: string, sources: ReturnType<typeof builtInSources>): string {
  return createHash('sha256')
    .update(JSON.stringify({ version, options: templateCompileOptions, sources }))
    .digest('hex');
}

function registerHelpers(handlebars: typeof Handlebars): void {
  handlebars.registerHelper('label', (value: unknown) => new handlebars.SafeString(dockerString(value)));
}

/** The full Handlebars, compiler included, with our helper and partials: for templates of the configuration. */
function compilingEnvironment(): typeof Handlebars {
  const handlebars = (require('handlebars') as typeof Handlebars).create();
  registerHelpers(handlebars);
  for (const [name, source] of Object.entries(partialSources())) handlebars.registerPartial(name, source);
  return handlebars;
}

/**
 * The built-in templates as `npm run build` compiled them, on Handlebars' runtime alone, when they record the
 * sources, compiler version and options in use; else undefined (a stale or missing build, a source checkout).
 * Loading the compiler and compiling cost a run about 50 ms before its first Dockerfile.
 */
function precompiledEnvironment(file: string): { compiled: Map<string, Handlebars.TemplateDelegate> } | undefined {
  try {
    const built = require(file) as {
      fingerprint?: string;
      templates?: Record<string, TemplateSpecification>;
      partials?: Record<string, TemplateSpecification>;
    };
    const runtime = require('handlebars/runtime') as typeof Handlebars;
    if (!built.templates || !built.partials) return undefined;
    if (built.fingerprint !== templatesFingerprint(runtime.VERSION, builtInSources())) return undefined;
    const handlebars = runtime.create();
    registerHelpers(handlebars);
    for (const [name, spec] of Object.entries(built.partials))
      handlebars.registerPartial(name, handlebars.template(spec));
    const compiled = new Map(Object.entries(built.templates).map(([id, spec]) => [id, handlebars.template(spec)]));
    return { compiled };
  } catch {
    return undefined;
  }
}

/** A template as `Handlebars.precompile` writes it (a JavaScript object of functions). */
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

/**
 * The templates of one run: the built-ins, overridden or extended by the configuration (`templates` in
 * neurons.json: id -> file).
 */
export class TemplateSet {
  private compiler: typeof Handlebars | undefined;
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();
  private readonly files: Record<string, string>;
  /** The built-in templates were compiled by the build (no compiler loaded). */
  readonly precompiled: boolean;

  /** `precompiled`: the file of templates compiled ahead (tests give their own). */
  constructor(overrides: Record<string, string> = {}, options: { precompiled?: string } = {}) {
    const builtIns = Object.fromEntries(
      Object.entries(builtInTemplates).map(([id, file]) => [id, path.join(packageRoot(), 'templates', file)]),
    );
    this.files = { ...builtIns, ...overrides };
    // A configuration that overrides or adds a template compiles them all, as before.
    const ready =
      Object.keys(overrides).length === 0
        ? precompiledEnvironment(options.precompiled ?? precompiledTemplatesFile)
        : undefined;
    this.precompiled = ready !== undefined;
    for (const [id, template] of ready?.compiled ?? []) this.compiled.set(id, template);
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
      this.compiler ??= compilingEnvironment();
      template = this.compiler.compile(this.source(id), templateCompileOptions);
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
