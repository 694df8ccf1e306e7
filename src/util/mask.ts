/**
 * Secrets registered here are replaced by `***` in everything the CLI prints.
 * Every credential neurons reads (configuration, environment, state file) is registered when read.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary words; they are not credentials worth the name anyway.
  if (value && value.length >= 4) secrets.add(value);
}

export function maskSecrets(text: string): string {
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join('***');
  return masked;
}
