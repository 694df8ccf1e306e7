import { parseScope } from './scope.js';

/** A bearer token and what it grants: the actions of each resource (`repository:NAME`) it was asked for. */
interface HeldToken {
  authorization: string;
  grants: ReadonlyMap<string, ReadonlySet<string>>;
}

/** `repository:NAME:pull,push` -> `repository:NAME` and its actions; what is not a scope grants nothing. */
function resourceOf(scope: string): { resource: string; actions: string[] } {
  const parsed = parseScope(scope);
  return parsed
    ? { resource: `${parsed.type}:${parsed.name}`, actions: parsed.actions }
    : { resource: scope, actions: [] };
}

/**
 * The bearer tokens a client holds, by scope. A token asked for several scopes serves every request whose scopes it
 * grants: a mount (push on the target, pull on the source) finds the token its unit of work asked for (push on each
 * of the unit's repositories, which includes pull), instead of a token request for that pair of repositories.
 */
export class HeldTokens {
  private readonly byScope = new Map<string, HeldToken>();

  /** The authorization for `scope` (one scope, or several separated by spaces): a token that grants every one. */
  get(scope: string): string | undefined {
    const exact = this.byScope.get(scope);
    if (exact) return exact.authorization;
    const wanted = [...new Set(scope.split(' ').filter(Boolean))].map(resourceOf);
    if (wanted.length === 0) return undefined;
    for (const { resource } of wanted) {
      for (const held of this.heldFor(resource)) {
        const grants = wanted.every((want) =>
          want.actions.every((action) => held.grants.get(want.resource)?.has(action)),
        );
        if (grants) return held.authorization;
      }
    }
    return undefined;
  }

  /** Records a token asked for `scopes`: under each of them, and under them together. */
  record(scopes: string[], authorization: string): void {
    const grants = new Map<string, Set<string>>();
    for (const { resource, actions } of scopes.map(resourceOf))
      grants.set(resource, new Set([...(grants.get(resource) ?? []), ...actions]));
    const token: HeldToken = { authorization, grants };
    for (const scope of scopes) this.byScope.set(scope, token);
    if (scopes.length > 1) this.byScope.set(scopes.join(' '), token);
  }

  /** The tokens held for any scope of `resource` (its pull, its push). */
  private heldFor(resource: string): HeldToken[] {
    return [`${resource}:pull,push`, `${resource}:pull`, `${resource}:push`].flatMap((scope) => {
      const held = this.byScope.get(scope);
      return held ? [held] : [];
    });
  }
}
