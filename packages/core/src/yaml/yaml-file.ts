import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import type { Diagnostic, ParseResult } from '@slipway/contract';
import { checkAliases, isMergeKey, toPlain } from './aliases.ts';

export { aliasExpansionBudget, ALIAS_EXPANSION_PER_VALUE, MAX_ALIAS_EXPANSION, MIN_ALIAS_EXPANSION } from './aliases.ts';

/** Manifests larger than this are refused before parsing. */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
/** Deeper nesting than this is refused: no manifest needs it, and it is how parser bombs look. */
export const MAX_NESTING_DEPTH = 64;

export interface YamlDocument {
  /** 0-based position of the document in its file (documents are separated by ---). */
  index: number;
  doc: Document.Parsed;
  /** The document as plain data; undefined for an empty document. */
  value: unknown;
}

export interface YamlFile {
  file: string;
  /** The file's text, to point inside a value. */
  text: string;
  lineCounter: LineCounter;
  documents: YamlDocument[];
}

export interface Position {
  line: number;
  column: number;
}

/**
 * Parses a YAML file of one or more documents. Never throws on user input: syntax errors, oversize
 * files, excessive nesting, aliases of no anchor, merge keys on something other than mappings and
 * alias bombs come back as errors with their line and column.
 */
export function parseYamlFile(text: string, file: string): ParseResult<YamlFile> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  if (text.length > MAX_MANIFEST_BYTES) {
    const mb = (text.length / 1024 / 1024).toFixed(1);
    return { errors: [{ severity: 'error', file, message: `file is ${mb} MB; manifests are limited to 10 MB` }], warnings };
  }
  const tooDeep = flowNestingBeyondLimit(text);
  if (tooDeep !== undefined) {
    const { line, column } = lineColumnAt(text, tooDeep);
    return {
      errors: [{ severity: 'error', file, line, column, message: `nested more than ${MAX_NESTING_DEPTH} levels deep; manifests are limited to ${MAX_NESTING_DEPTH}` }],
      warnings,
    };
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const documents: YamlDocument[] = [];
  docs.forEach((doc, index) => {
    for (const e of doc.errors) errors.push(yamlDiagnostic('error', file, lineCounter, e.pos[0], e.message, e.code));
    for (const w of doc.warnings) warnings.push(yamlDiagnostic('warning', file, lineCounter, w.pos[0], w.message, w.code));
    if (doc.errors.length > 0) return;
    const aliases = checkAliases(doc, lineCounter, file, MAX_NESTING_DEPTH);
    if (aliases.errors.length > 0) {
      errors.push(...aliases.errors);
      return;
    }
    let value: unknown;
    try {
      // checkAliases bounded the expanded size by the file's size, which replaces yaml's alias count:
      // that count multiplies uses of nested anchors and refuses real files with many merge keys.
      value = toPlain(doc, aliases.targets);
    } catch (e) {
      // Not expected after checkAliases; still located, at the document's start.
      const { line, col } = lineCounter.linePos(doc.contents?.range?.[0] ?? doc.range[0]);
      errors.push({
        severity: 'error',
        file,
        line,
        column: col,
        message: `YAML: document ${index + 1} cannot be read: ${firstLine((e as Error).message)}; check its aliases (*name) and merge keys (<<)`,
      });
      return;
    }
    const deep = findTooDeep(value);
    if (deep) {
      const pos = deep.path.length ? positionOf(doc, lineCounter, deep.path) : undefined;
      errors.push({
        severity: 'error',
        file,
        ...pos,
        message: `nested more than ${MAX_NESTING_DEPTH} levels deep; manifests are limited to ${MAX_NESTING_DEPTH}`,
      });
      return;
    }
    // A file that is only comments parses as one empty document; skip it rather than report it.
    if (value === null && doc.contents === null) return;
    documents.push({ index, doc, value });
  });
  if (errors.length) return { errors, warnings };
  return { value: { file, text, lineCounter, documents }, errors, warnings };
}

/**
 * The offset where [ ] and { } nest deeper than the limit, found before parsing: the YAML composer
 * recurses per level, so a flow bomb would otherwise exhaust the stack.
 */
function flowNestingBeyondLimit(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      else if (ch === '\n' && quote === "'") quote = undefined;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if ((ch === '"' || ch === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) quote = ch;
    else if (ch === '[' || ch === '{') {
      if (++depth > MAX_NESTING_DEPTH) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}

function lineColumnAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function yamlDiagnostic(
  severity: 'error' | 'warning',
  file: string,
  lineCounter: LineCounter,
  offset: number,
  message: string,
  code: string,
): Diagnostic {
  const { line, col } = lineCounter.linePos(offset);
  const text = code === 'DUPLICATE_KEY' ? 'this key appears twice in the same mapping; keep one' : firstLine(message);
  return { severity, file, line, column: col, message: `YAML: ${text}` };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Finds, without recursion, a path that nests deeper than the limit. */
function findTooDeep(value: unknown): { path: (string | number)[] } | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (path.length > MAX_NESTING_DEPTH) return { path: path.slice(0, MAX_NESTING_DEPTH) };
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
    else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) stack.push({ v: item, path: [...path, k] });
  }
  return undefined;
}

/**
 * Line and column of the node at `path` in a parsed document (of its key, with `key: true`), following
 * aliases and merge keys. When the path does not exist (a missing key), the position of the deepest
 * part that does.
 */
export function positionOf(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: ReadonlyArray<string | number | symbol>,
  options: { key?: boolean; exact?: boolean } = {},
): Position | undefined {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0];
  let found = 0;
  for (let i = 0; i < path.length && node; i++, found++) {
    node = resolve(doc, node);
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = findPair(doc, node.items as Pair[], String(segment));
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      node = pair.value as Node | null;
      offset = last && options.key ? keyNode?.range?.[0] : (node?.range?.[0] ?? keyNode?.range?.[0]);
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
      if (node?.range) offset = node.range[0];
      else break;
    } else break;
  }
  // exact: only the node at the whole path will do, for callers that try several documents.
  if (offset === undefined || (options.exact && found < path.length)) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Line and column of a piece of text inside the scalar at `path` (its `occurrence`-th match, from 0),
 * such as a $NAME inside a command. A reference has no whitespace, so it reads the same in the file
 * as in the value whichever style the scalar is written in. Falls back to the scalar's own position.
 */
export function positionWithin(
  doc: Document.Parsed,
  file: Pick<YamlFile, 'text' | 'lineCounter'>,
  path: ReadonlyArray<string | number>,
  within: { text: string; occurrence: number },
): Position | undefined {
  let node: Node | null | undefined = doc.contents as Node | null;
  for (const segment of path) {
    if (!node) break;
    node = resolve(doc, node);
    if (isMap(node)) node = findPair(doc, node.items as Pair[], String(segment))?.value as Node | null | undefined;
    else if (isSeq(node) && typeof segment === 'number') node = node.items[segment] as Node | undefined;
    else node = undefined;
  }
  if (node && isScalar(node) && node.range) {
    const [start, end] = node.range;
    const source = file.text.slice(start, end);
    let at = source.indexOf(within.text);
    for (let n = 0; n < within.occurrence && at >= 0; n++) at = source.indexOf(within.text, at + 1);
    if (at >= 0) {
      const { line, col } = file.lineCounter.linePos(start + at);
      return { line, column: col };
    }
  }
  return positionOf(doc, file.lineCounter, path);
}

function resolve(doc: Document.Parsed, node: Node): Node {
  let current: Node = node;
  for (let hops = 0; isAlias(current) && hops < 100; hops++) {
    const target = current.resolve(doc);
    if (!target) break;
    current = target as Node;
  }
  return current;
}

function findPair(doc: Document.Parsed, items: Pair[], key: string, depth = 0): Pair | undefined {
  const direct = items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  if (direct || depth > 10) return direct;
  for (const p of items) {
    if (!isMergeKey(p.key) || !p.value) continue;
    const sources = isSeq(p.value) ? (p.value.items as Node[]) : [p.value as Node];
    for (const source of sources) {
      const target = resolve(doc, source);
      if (isMap(target)) {
        const found = findPair(doc, target.items as Pair[], key, depth + 1);
        if (found) return found;
      }
    }
  }
  return undefined;
}
