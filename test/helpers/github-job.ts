/** Reads a GITHUB_OUTPUT file as the Actions runner does: `name<<DELIMITER` blocks (the only form neurons writes). */
export function parseStepOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const block = /^([^=<]+)<<(.+)$/.exec(lines[index] ?? '');
    if (!block) continue;
    const end = lines.indexOf(block[2] ?? '', index + 1);
    outputs[block[1] ?? ''] = lines.slice(index + 1, end).join('\n');
    index = end;
  }
  return outputs;
}
