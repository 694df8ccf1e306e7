/**
 * The deepest nesting of arrays and objects in a parsed JSON value, counted without recursion. V8's JSON.stringify
 * (and JSON.parse, for objects) recurse: a value nested tens of thousands of levels deep that was accepted would
 * overflow the stack later, when a catalog is written. Real definitions nest five levels at most.
 */
export const maxJsonDepth = 64;

/** Whether `root` nests arrays and objects more than `limit` levels deep; stops at the first value past it. */
export function nestsDeeperThan(root: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const member of Array.isArray(value) ? value : Object.values(value)) pending.push([member, depth + 1]);
  }
  return false;
}
