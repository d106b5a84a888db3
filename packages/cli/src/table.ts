import { stripVTControlCharacters } from 'node:util';

/** Formats rows as aligned columns for people (scripts use --output json); colours do not count as width. */
export function table(headers: string[], rows: string[][]): string {
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - width(c))))).join('  ');
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}
