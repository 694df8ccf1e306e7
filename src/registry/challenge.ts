/* The `WWW-Authenticate` challenge a registry answers a 401 with: basic, or bearer with the token service to ask. */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string): Challenge {
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) {
    if (match[1] !== undefined) params[match[1]] = match[2] ?? '';
  }
  return { scheme: scheme.toLowerCase(), params };
}
