/**
 * One Markdown table cell: a `|` would start another cell and a newline end the row; `<`, `>` and `&` are escaped so
 * a message cannot open HTML in the summary page. Backticks and stars stay: they are read as Markdown, nothing worse.
 */
export function markdownCell(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** A Markdown table; every cell escaped. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(markdownCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}
