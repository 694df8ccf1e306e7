/** JSON Schema of `neurons.json`, the configuration file at the root of a worker repository. */
export const configSchema = {
  $id: 'https://neurons.local/schemas/config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    registries: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['host', 'namespace'],
        properties: {
          host: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?$' },
          namespace: { type: 'string', pattern: '^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$' },
          username: { type: 'string' },
          usernameEnv: { type: 'string' },
          passwordEnv: { type: 'string' },
          ca: { type: 'array', items: { type: 'string' } },
          plainHttp: { type: 'boolean' },
        },
      },
    },
    baseImages: {
      type: 'object',
      additionalProperties: false,
      properties: { python: { type: 'string' }, go: { type: 'string' }, node: { type: 'string' } },
    },
    packageIndex: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        usernameEnv: { type: 'string' },
        passwordEnv: { type: 'string' },
        ca: { type: 'string' },
      },
    },
    channel: { enum: ['stable', 'devel'] },
    output: { type: 'string' },
  },
} as const;

export interface ConfigFile {
  registries?: Array<{
    host: string;
    namespace: string;
    username?: string;
    usernameEnv?: string;
    passwordEnv?: string;
    ca?: string[];
    plainHttp?: boolean;
  }>;
  baseImages?: { python?: string; go?: string; node?: string };
  packageIndex?: { url: string; usernameEnv?: string; passwordEnv?: string; ca?: string };
  channel?: 'stable' | 'devel';
  output?: string;
}
