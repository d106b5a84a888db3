import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, scalarText } from './yaml-values.ts';

/**
 * Compose's `entrypoint` is the container's entrypoint (the manifest's `command`) and Compose's
 * `command` its arguments (the manifest's `args`). Compose splits a string form into words the way a
 * shell would, but runs no shell: `a && b` passes "&&" to the program. The importer does exactly the
 * same, so the container starts with the same argv; it never wraps a string in `sh -c`, which would
 * change what runs (and needs a shell in the image). A string with shell operators gets a warning,
 * because its author probably expected a shell.
 */
export function convertEntrypoint(raw: unknown, path: ComposePath, reporter: Reporter): string[] | undefined {
  const words = toWords(raw, path, reporter, 'entrypoint');
  if (words?.length === 0) {
    reporter.warn(path, 'an empty entrypoint (which clears the image\'s ENTRYPOINT) has no equivalent; the image\'s entrypoint is kept', { atKey: true });
    return undefined;
  }
  return words;
}

export function convertCommand(raw: unknown, path: ComposePath, reporter: Reporter): string[] | undefined {
  const words = toWords(raw, path, reporter, 'command');
  // An empty command means "the image's CMD" in Compose, which is also what leaving out args means.
  return words?.length ? words : undefined;
}

function toWords(raw: unknown, path: ComposePath, reporter: Reporter, field: string): string[] | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (Array.isArray(raw)) {
    const words: string[] = [];
    raw.forEach((item, i) => {
      const text = scalarText(item);
      if (text === undefined) reporter.error([...path, i], `expected a word of the ${field}, got ${describeValue(item)}`);
      else words.push(text);
    });
    return words;
  }
  const text = scalarText(raw);
  if (text === undefined) {
    reporter.error(path, `expected the ${field} as a string or a list of words, got ${describeValue(raw)}`);
    return undefined;
  }
  const split = splitShellWords(text);
  if (split.error) {
    reporter.error(path, `${split.error} in the ${field} ${JSON.stringify(text)}`);
    return undefined;
  }
  if (split.operators.length) {
    reporter.warn(
      path,
      `the ${field} uses ${split.operators.map((o) => JSON.stringify(o)).join(', ')} outside quotes, but Compose runs it without a shell, and so does Slipway: ` +
        `it is passed to the program as ${split.operators.length === 1 ? 'an argument' : 'arguments'}; write ["sh", "-c", "…"] if a shell was meant`,
    );
  }
  return split.words;
}

export interface ShellWords {
  words: string[];
  /** Shell operators found outside quotes, which a shell would have interpreted. */
  operators: string[];
  error?: string;
}

/** Splits like a POSIX shell's word splitting and quote removal, without expansions. */
export function splitShellWords(text: string): ShellWords {
  const words: string[] = [];
  const operators = new Set<string>();
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '\\') {
      inWord = true;
      if (text[i + 1] === '\n') i++;
      else if (i + 1 < text.length) word += text[++i];
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { words, operators: [...operators], error: 'a single quote is never closed' };
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      let closed = false;
      for (i++; i < text.length; i++) {
        const c = text[i]!;
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\\' && '"\\$`\n'.includes(text[i + 1] ?? '')) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i++;
        } else word += c;
      }
      if (!closed) return { words, operators: [...operators], error: 'a double quote is never closed' };
      inWord = true;
    } else {
      const operator = /^(&&|\|\||[|;&<>`]|\$\()/.exec(text.slice(i))?.[0];
      if (operator) operators.add(operator);
      word += operator ?? ch;
      i += (operator?.length ?? 1) - 1;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, operators: [...operators] };
}
