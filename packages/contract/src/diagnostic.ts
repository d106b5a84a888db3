/** A problem found in user input, with where it is and what would be right. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** File the problem is in, as the user named it. */
  file?: string;
  /** 1-based line and column; absent when the problem has no single place (a cycle, a missing file). */
  line?: number;
  column?: number;
  /** Path in the document, such as spec.services[1].ports[0].port. */
  path?: string;
  message: string;
}

/** What every parser returns instead of throwing: a value when there is one, and what was wrong. */
export interface ParseResult<T> {
  value?: T;
  warnings: Diagnostic[];
  errors: Diagnostic[];
}

/** Writes a path as spec.services[1].ports[0].port. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Writes a diagnostic as app.yaml:14:7 spec.services[1].ports[0].port: expected … */
export function formatDiagnostic(d: Diagnostic): string {
  const place = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}` : '';
  const where = [place, d.path].filter(Boolean).join(' ');
  return where ? `${where}: ${d.message}` : d.message;
}
