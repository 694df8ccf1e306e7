/**
 * Credentials a build step needs (a package index or npm registry URL with its password), kept out of everything the
 * engine stores: image history, layers, labels, configuration, and the build cache that holds the builder stages.
 *
 * Builds go through the engine's build API with the classic builder: BuildKit's `RUN --mount=type=secret` needs a
 * client session (gRPC over the engine's /session endpoint) that dockerode does not speak. The classic builder writes
 * every build argument a RUN step sees into that step's history (`|1 PIP_INDEX_URL=https://user:password@...`) and
 * keeps the step as a cached image, readable by anyone with the engine's socket; a file copied into the context stays
 * in a layer even when a later step removes it. Its one exception is the predefined proxy arguments: passed without an
 * `ARG`, they reach every RUN step's environment and stay out of the history and the cache key (Docker's documented
 * guard for proxy credentials; BuildKit does the same). Secrets ride in the two that no build of ours uses (the FTP
 * proxy); the one step that needs them hands each to its tool under the tool's own variable and clears the carriers.
 */
export const secretCarriers = ['FTP_PROXY', 'ftp_proxy'] as const;

export interface BuildSecret {
  /** The variable the tool reads, e.g. `PIP_INDEX_URL`. */
  variable: string;
  value: string;
}

export interface CarriedSecrets {
  /** Build arguments for the engine: carrier -> value. Never printed, never a build input. */
  buildArgs: Record<string, string>;
  /**
   * Shell assignments that start the RUN step needing the secrets (`PIP_INDEX_URL="$FTP_PROXY" FTP_PROXY= ftp_proxy= `):
   * the tool gets each under its own name, and no carrier is left to act as a proxy. Empty without secrets.
   */
  environment: string;
}

const variableName = /^[A-Z][A-Z0-9_]*$/;

export function carrySecrets(secrets: BuildSecret[]): CarriedSecrets {
  if (secrets.length > secretCarriers.length)
    throw new Error(`a build step can carry ${secretCarriers.length} secrets, not ${secrets.length}`);
  const buildArgs: Record<string, string> = {};
  const assignments: string[] = [];
  for (const [index, secret] of secrets.entries()) {
    const carrier = secretCarriers[index] ?? '';
    if (!variableName.test(secret.variable)) throw new Error(`not a variable name: ${JSON.stringify(secret.variable)}`);
    buildArgs[carrier] = secret.value;
    assignments.push(`${secret.variable}="$${carrier}"`);
  }
  if (assignments.length === 0) return { buildArgs, environment: '' };
  return {
    buildArgs,
    environment: `${[...assignments, ...secretCarriers.map((carrier) => `${carrier}=`)].join(' ')} `,
  };
}

/** A URL as it may be shown and recorded: without user name and password. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
