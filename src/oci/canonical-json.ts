/**
 * JSON with object keys sorted and no whitespace: the bytes of a manifest or a configuration depend on its content
 * alone, not on the order its fields were set in, so its digest is the same on every run and every machine.
 * Arrays keep their order (it means something: layers, environment); undefined fields are left out as JSON does.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(serialize(value) ?? 'null');
}

function serialize(value: unknown): string | undefined {
  if (Array.isArray(value)) return `[${value.map((item) => serialize(item) ?? 'null').join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    // Written by hand rather than through JSON.stringify: a JavaScript object lists integer-like keys ("9", "10")
    // first and in numeric order whatever is done, and the order here must be code-unit order, as Go sorts map keys.
    const fields = Object.keys(value)
      .sort()
      .flatMap((key) => {
        const field = serialize((value as Record<string, unknown>)[key]);
        return field === undefined ? [] : [`${JSON.stringify(key)}:${field}`];
      });
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) as string | undefined;
}
