/**
 * The `.env` / `env_file` format as Compose reads it: `KEY=value` lines, `#` comments, an optional
 * `export ` prefix, single quotes (literal), double quotes (escapes, may span lines), and ` #` inline
 * comments after unquoted values. A line with only a key has no value (Compose takes it from the shell).
 */
export interface DotenvEntry {
  key: string;
  /** Absent for a bare `KEY` line. */
  value?: string;
  /** Single-quoted: Compose does not interpolate `${…}` in it. */
  literal: boolean;
  /** 1-based line of the key. */
  line: number;
}

export interface ParsedDotenv {
  entries: DotenvEntry[];
  problems: { line: number; message: string }[];
}

export function parseDotenv(text: string): ParsedDotenv {
  const entries: DotenvEntry[] = [];
  const problems: ParsedDotenv['problems'] = [];
  const source = text.replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  while (i < source.length) {
    const end = source.indexOf('\n', i) < 0 ? source.length : source.indexOf('\n', i);
    const raw = source.slice(i, end);
    const trimmed = raw.trim();
    const startLine = line;
    if (trimmed === '' || trimmed.startsWith('#')) {
      i = end + 1;
      line++;
      continue;
    }
    const declaration = trimmed.replace(/^export\s+/, '');
    const equals = declaration.indexOf('=');
    if (equals < 0) {
      entries.push({ key: declaration, literal: false, line: startLine });
      i = end + 1;
      line++;
      continue;
    }
    const key = declaration.slice(0, equals).trim();
    // Where the value starts in `source`, so that a quoted value can run past this line.
    const valueStart = i + raw.indexOf('=') + 1;
    let j = valueStart;
    while (source[j] === ' ' || source[j] === '\t') j++;
    const quote = source[j];
    if (quote === '"' || quote === "'") {
      const { value, next, closed } = readQuoted(source, j + 1, quote);
      if (!closed) problems.push({ line: startLine, message: `the ${quote === '"' ? 'double' : 'single'} quote of ${key} is never closed` });
      entries.push({ key, value, literal: quote === "'", line: startLine });
      line += countNewlines(source, i, next);
      const lineEnd = source.indexOf('\n', next);
      i = lineEnd < 0 ? source.length : lineEnd + 1;
      line++;
      continue;
    }
    const value = source.slice(j, end).replace(/\s+#.*$/, '').trimEnd();
    entries.push({ key, value, literal: false, line: startLine });
    i = end + 1;
    line++;
  }
  return { entries, problems };
}

function readQuoted(source: string, start: number, quote: string): { value: string; next: number; closed: boolean } {
  let value = '';
  for (let k = start; k < source.length; k++) {
    const ch = source[k]!;
    if (ch === quote) return { value, next: k + 1, closed: true };
    if (quote === '"' && ch === '\\' && k + 1 < source.length) {
      const escaped = source[++k]!;
      value += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped === 'r' ? '\r' : escaped;
      continue;
    }
    value += ch;
  }
  return { value, next: source.length, closed: false };
}

function countNewlines(source: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (source[k] === '\n') n++;
  return n;
}
