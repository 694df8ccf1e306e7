import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Problem } from '../errors/problem.js';
import { schemaValidator } from '../util/schema-validator.js';
import { createProblem } from './codes.js';
import { escapePointerToken, type JsonLocations } from './json-positions.js';
import type { Definition } from './types.js';

const stringField = { type: 'string' } as const;
const booleanField = { type: 'boolean' } as const;
const imageField = {
  type: 'object',
  properties: { path: stringField, caption: stringField },
  required: ['path'],
} as const;

/**
 * The definition format, the single source of truth for `Definition` in types.ts (a type check below and a
 * test keep them in step). Unknown fields are allowed: the engine ignores them, a warning names them.
 */
export const definitionSchema = {
  type: 'object',
  properties: {
    name: stringField,
    version: stringField,
    author: stringField,
    url: stringField,
    license: stringField,
    description: stringField,
    dataTypeList: { type: 'array', items: stringField },
    command: stringField,
    baseConfig: stringField,
    config: { type: 'object' },
    configurationItems: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: stringField,
          description: stringField,
          type: { enum: ['text', 'string', 'number', 'boolean'] },
          // The engine reads a missing `multi`/`required` as false: normalized with a warning, see rules.ts.
          multi: booleanField,
          required: booleanField,
          defaultValue: {},
        },
        required: ['name', 'description', 'type'],
      },
    },
    registration_required: booleanField,
    subscription_required: booleanField,
    free_subscription: booleanField,
    service_homepage: stringField,
    service_logo: imageField,
    screenshots: { type: 'array', items: imageField },
    integration_type: stringField,
    requirements: stringField,
    dockerImage: stringField,
  },
  required: ['name', 'version', 'author', 'url', 'license', 'description', 'dataTypeList', 'command', 'baseConfig'],
} as const;

// Compile-time link between the schema and the TypeScript type: both directions must hold.
type DeclaredKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };
type RequiredKeys<T> = { [K in DeclaredKeys<T>]-?: undefined extends T[K] ? never : K }[DeclaredKeys<T>];
type SchemaRequired = (typeof definitionSchema.required)[number];
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requiredFieldsMatch: Exact<SchemaRequired, RequiredKeys<Definition>> = true;
const declaredFieldsAreInSchema: Exact<
  Exclude<DeclaredKeys<Definition>, keyof typeof definitionSchema.properties>,
  never
> = true;
void requiredFieldsMatch;
void declaredFieldsAreInSchema;

let compiled: ValidateFunction | undefined;

/**
 * Compiled once per process: compiling costs far more than validating a whole repository. The schema is checked
 * against the JSON Schema meta-schema by the tests, not on every run.
 */
function compileSchema(): ValidateFunction {
  compiled ??= schemaValidator('definition', definitionSchema, definitionValidatorOptions);
  return compiled;
}

/** How the definition schema is compiled, here and ahead of time by `npm run build`. */
export const definitionValidatorOptions = { allErrors: true, strict: true, verbose: true, validateSchema: false };

/** Checks a parsed definition against the schema; returns one problem per schema violation. */
export function checkSchema(value: unknown, file: string, locations: JsonLocations): Problem[] {
  const validate = compileSchema();
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => toProblem(error, file, locations));
}

function toProblem(error: ErrorObject, file: string, locations: JsonLocations): Problem {
  const pointer = error.instancePath;
  const field = pointer === '' ? 'the definition' : `\`${pointer}\``;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      // The field is absent: point at the object that should hold it.
      const at = locations.value(pointer);
      const place = { file, pointer: `${pointer}/${escapePointerToken(missing)}` };
      return createProblem(
        'DEF_REQUIRED_FIELD',
        at ? { ...place, line: at.line, column: at.column } : place,
        `\`${missing}\``,
      );
    }
    case 'type':
      return createProblem(
        'DEF_TYPE',
        { file, pointer, locations },
        `${field} must be ${article(String(params['type']))}, not ${describeJsonType(error.data)}`,
      );
    case 'enum':
      return createProblem(
        'DEF_ENUM',
        { file, pointer, locations },
        `${field} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    default:
      return createProblem('DEF_TYPE', { file, pointer, locations }, `${field} ${error.message ?? 'is invalid'}`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

interface SchemaNode {
  type?: unknown;
  enum?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** Walks the value along the schema and returns the pointer of every field the schema does not declare. */
export function listUnknownFields(
  value: unknown,
  schema: SchemaNode = definitionSchema,
  pointer = '',
  found: string[] = [],
): string[] {
  if (typeof value !== 'object' || value === null) return found;
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items) value.forEach((item: unknown, index) => listUnknownFields(item, items, `${pointer}/${index}`, found));
    return found;
  }
  const properties = schema.properties;
  if (!properties) return found;
  for (const key of Object.keys(value)) {
    const memberPointer = `${pointer}/${escapePointerToken(key)}`;
    const memberSchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (memberSchema) listUnknownFields((value as Record<string, unknown>)[key], memberSchema, memberPointer, found);
    else found.push(memberPointer);
  }
  return found;
}
