/**
 * A Python function, for the scripts below that run inside images: the modules a script imports at top level, in
 * order. Relative imports and `__future__` are skipped; imports nested in `try`/`if` are optional by intent.
 */
export const TOP_LEVEL_IMPORTS_FUNCTION = String.raw`
def top_level_imports(script):
    import ast
    with open(script, "rb") as handle:
        tree = ast.parse(handle.read(), script)
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module != "__future__":
            names.append(node.module)
    return names
`;

/**
 * Run as `python3 -c IMPORT_CHECK_SCRIPT <script>` inside the image: parses the worker's script with `ast` and
 * checks that every module it imports at top level can be found, without running the worker. The script's
 * folder comes first on sys.path, as when Python runs the script itself; the working directory does not.
 * Relative imports and `__future__` are skipped; imports nested in `try`/`if` are optional by intent.
 * Prints one JSON line and exits 1 when a module is missing.
 */
export const IMPORT_CHECK_SCRIPT = String.raw`
import ast, importlib.util, json, os, sys
${TOP_LEVEL_IMPORTS_FUNCTION}
script = os.path.abspath(sys.argv[1])
sys.path[:] = [os.path.dirname(script)] + [entry for entry in sys.path if entry not in ("", ".")]
names = top_level_imports(script)

missing = []
for name in dict.fromkeys(names):
    try:
        found = importlib.util.find_spec(name) is not None
    except Exception as error:  # a parent package is missing or fails to import
        found = False
        name = "%s (%s)" % (name, error)
    if not found:
        missing.append(name)

print(json.dumps({"checked": list(dict.fromkeys(names)), "missing": missing}))
sys.exit(1 if missing else 0)
`;

/**
 * The string lists named `keys` in the JSON object our check scripts print as their last line; undefined when that
 * line is not such an object.
 */
export function lastReport<K extends string>(logs: string, keys: readonly K[]): Record<K, string[]> | undefined {
  const line = logs.trim().split('\n').at(-1) ?? '';
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const report: Partial<Record<K, string[]>> = {};
  for (const key of keys) {
    const value = parsed[key];
    if (!Array.isArray(value)) return undefined;
    report[key] = value.map(String);
  }
  return report as Record<K, string[]>;
}
