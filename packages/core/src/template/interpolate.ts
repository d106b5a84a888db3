/**
 * `${NAME}`, `${NAME:-fallback}` (fallback when unset or empty) and `${NAME-fallback}` (fallback when
 * unset) in variable mappings and hostname templates. `$$` writes a literal `$`. Fallbacks may
 * themselves hold references: `${A:-${B:-x}}`.
 */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'variable'; name: string; fallback?: TemplatePart[]; whenEmpty: boolean };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Syntax problems, such as an unclosed ${. */
  errors: string[];
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseTemplate(source: string): ParsedTemplate {
  const errors: string[] = [];
  const parts = parseParts(source, errors);
  return { parts, errors };
}

function parseParts(source: string, errors: string[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '$' && source[i + 1] === '$') {
      text += '$';
      i += 2;
    } else if (ch === '$' && source[i + 1] === '{') {
      const end = matchingBrace(source, i + 1);
      if (end < 0) {
        errors.push(`unclosed "\${" at character ${i + 1}; close it with "}"`);
        text += source.slice(i);
        break;
      }
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push(parseReference(source.slice(i + 2, end), errors));
      i = end + 1;
    } else {
      text += ch;
      i++;
    }
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

/** Offset of the `}` closing the `{` at `open`, counting nested braces; -1 when unclosed. */
export function matchingBrace(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function parseReference(body: string, errors: string[]): TemplatePart {
  const match = /^([^:-]*)(:-|-)?([\s\S]*)$/.exec(body)!;
  const name = match[1]!;
  if (!namePattern.test(name)) errors.push(`"\${${body}}" does not name a variable; names are letters, digits and "_"`);
  if (match[2] === undefined) return { kind: 'variable', name, whenEmpty: false };
  return { kind: 'variable', name, fallback: parseParts(match[3]!, errors), whenEmpty: match[2] === ':-' };
}

/** Every variable a template reads, with whether it has a fallback. */
export function referencedVariables(parts: TemplatePart[]): { name: string; hasFallback: boolean }[] {
  const out: { name: string; hasFallback: boolean }[] = [];
  for (const part of parts) {
    if (part.kind !== 'variable') continue;
    out.push({ name: part.name, hasFallback: part.fallback !== undefined });
    if (part.fallback) out.push(...referencedVariables(part.fallback));
  }
  return out;
}

/** Fills a template; `missing` lists variables that were unset and had no fallback (they render empty). */
export function interpolate(source: string, lookup: (name: string) => string | undefined): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = render(parseTemplate(source).parts, lookup, missing);
  return { value, missing };
}

function render(parts: TemplatePart[], lookup: (name: string) => string | undefined, missing: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = lookup(part.name);
    const useFallback = value === undefined || (part.whenEmpty && value === '');
    if (!useFallback) out += value;
    else if (part.fallback) out += render(part.fallback, lookup, missing);
    else missing.push(part.name);
  }
  return out;
}
