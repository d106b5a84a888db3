/**
 * Compose interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}`, nested defaults, and `$$` for a literal
 * dollar. Compose fills these from the shell and `.env` when it loads the file; the importer either
 * fills them the same way (from `.env` only: the shell is not the environment's) or, for variables,
 * rewrites them as Slipway templates, which share the `${VAR}`, `:-`, `-` and `$$` forms.
 */

import { matchingBrace } from '../../template/interpolate.ts';

export type Operator = '' | ':-' | '-' | ':?' | '?' | ':+' | '+';

export type ComposePart = { kind: 'text'; text: string } | { kind: 'ref'; name: string; operator: Operator; argument: ComposePart[] };

export interface ParsedComposeTemplate {
  parts: ComposePart[];
  problems: string[];
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;

export function parseComposeTemplate(source: string): ParsedComposeTemplate {
  const problems: string[] = [];
  return { parts: parseParts(source, problems), problems };
}

function parseParts(source: string, problems: string[]): ComposePart[] {
  const parts: ComposePart[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const next = source[i + 1];
    if (ch !== '$') {
      text += ch;
      i++;
    } else if (next === '$') {
      text += '$';
      i += 2;
    } else if (next === '{') {
      const end = matchingBrace(source, i + 1);
      if (end < 0) {
        problems.push(`unclosed "\${" in ${JSON.stringify(source)}`);
        text += source.slice(i);
        break;
      }
      flush();
      parts.push(parseReference(source.slice(i + 2, end), problems));
      i = end + 1;
    } else {
      const name = namePattern.exec(source.slice(i + 1))?.[0];
      if (name) {
        flush();
        parts.push({ kind: 'ref', name, operator: '', argument: [] });
        i += 1 + name.length;
      } else {
        // Compose refuses a lone "$"; keeping it as text is the likelier intent (a price, a regex).
        text += '$';
        i++;
      }
    }
  }
  flush();
  return parts;
}

function parseReference(body: string, problems: string[]): ComposePart {
  const name = namePattern.exec(body)?.[0] ?? '';
  const rest = body.slice(name.length);
  const operator = (['', ':-', '-', ':?', '?', ':+', '+'] as const).find((op) => op !== '' && rest.startsWith(op)) ?? '';
  if (!name || (operator === '' && rest !== '')) {
    problems.push(`"\${${body}}" is not a variable reference Compose understands`);
  }
  return { kind: 'ref', name, operator, argument: operator ? parseParts(rest.slice(operator.length), problems) : [] };
}

export function hasReferences(parts: ComposePart[]): boolean {
  return parts.some((p) => p.kind === 'ref');
}

/** The text of a template without references, with `$$` already read as `$`. */
export function plainText(parts: ComposePart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
}

export interface Resolution {
  value: string;
  /** Variables read with no value and no default: Compose renders them empty and says so. */
  unset: string[];
  /** Messages of `${VAR:?message}` references whose variable has no value. */
  required: { name: string; message: string }[];
}

/** Fills a template exactly as Compose would, reading variables through `lookup`. */
export function resolveComposeTemplate(parts: ComposePart[], lookup: (name: string) => string | undefined): Resolution {
  const out: Resolution = { value: '', unset: [], required: [] };
  out.value = render(parts, lookup, out);
  return out;
}

function render(parts: ComposePart[], lookup: (name: string) => string | undefined, out: Resolution): string {
  let value = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      value += part.text;
      continue;
    }
    const current = lookup(part.name);
    const empty = current === undefined || current === '';
    const argument = () => render(part.argument, lookup, out);
    switch (part.operator) {
      case '':
        if (current === undefined) out.unset.push(part.name);
        value += current ?? '';
        break;
      case ':-':
        value += empty ? argument() : current;
        break;
      case '-':
        value += current === undefined ? argument() : current;
        break;
      case ':?':
      case '?':
        if (part.operator === ':?' ? empty : current === undefined) {
          out.required.push({ name: part.name, message: plainText(part.argument) });
        }
        value += current ?? '';
        break;
      case ':+':
        value += empty ? '' : argument();
        break;
      case '+':
        value += current === undefined ? '' : argument();
        break;
    }
  }
  return value;
}

/**
 * The same template in Slipway's syntax, or undefined when it uses `:+` / `+`, which Slipway's
 * templates cannot express. `${VAR:?message}` becomes `${VAR}`: the message has nowhere to go, and the
 * variable still has to be given a value.
 */
export function toSlipwayTemplate(parts: ComposePart[]): string | undefined {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text.replace(/\$/g, '$$$$');
      continue;
    }
    if (part.operator === ':+' || part.operator === '+') return undefined;
    if (part.operator === ':-' || part.operator === '-') {
      const fallback = toSlipwayTemplate(part.argument);
      if (fallback === undefined) return undefined;
      out += `\${${part.name}${part.operator}${fallback}}`;
    } else out += `\${${part.name}}`;
  }
  return out;
}

/** Every variable a template reads, and whether a default covers it when unset. */
export function referencedVariables(parts: ComposePart[]): { name: string; hasDefault: boolean }[] {
  const out: { name: string; hasDefault: boolean }[] = [];
  for (const part of parts) {
    if (part.kind !== 'ref') continue;
    out.push({ name: part.name, hasDefault: part.operator === ':-' || part.operator === '-' });
    out.push(...referencedVariables(part.argument));
  }
  return out;
}
