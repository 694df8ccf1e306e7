/**
 * A scope of the distribution token protocol, `repository:name:pull,push` (`type:name:actions`), as the token service
 * grants it and a client checks what a token it holds grants; undefined when it is not of that form.
 */
export function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}
