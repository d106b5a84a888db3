import { formatPath, type Diagnostic } from '@slipway/contract';
import type { Document, LineCounter } from 'yaml';
import { positionOf } from '../../yaml/yaml-file.ts';

/** A path in the Compose document, such as ['services', 'web', 'ports', 0]. */
export type ComposePath = (string | number)[];

export interface ReportOptions {
  /** Point at the key rather than its value: right for "this field has no equivalent". */
  atKey?: boolean;
}

/** One parsed Compose file of a project. */
export interface ComposeSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export interface Location {
  file: string;
  line?: number;
  column?: number;
}

/**
 * Where a path of the merged project was written. Several files (overrides, bases of `extends`)
 * may have written a service; the locator knows which one wrote a field.
 */
export type Locator = (path: ComposePath, options: ReportOptions) => Location;

/** A path mentioned in a downstream diagnostic, and what made its value what it is. */
export interface ValueNote {
  path: ComposePath;
  note: string;
}

/**
 * Collects diagnostics that point back into the Compose files by file, line, column and path. An
 * error about a value that an unset variable emptied says so, since the variable is the cause.
 */
export class Reporter {
  readonly warnings: Diagnostic[] = [];
  readonly errors: Diagnostic[] = [];
  private locator: Locator;
  private readonly notes: ValueNote[] = [];

  constructor(
    readonly file: string,
    doc: Document.Parsed,
    lineCounter: LineCounter,
  ) {
    this.locator = (path, options) => ({ file, ...positionOf(doc, lineCounter, path, { key: options.atKey }) });
  }

  /** Locates paths across several files from now on. */
  locateWith(locator: Locator): void {
    this.locator = locator;
  }

  /** Errors at or inside `path` get `note` prepended: an unset variable made this value. */
  noteValue(path: ComposePath, note: string): void {
    this.notes.push({ path, note });
  }

  warn(path: ComposePath, message: string, options: ReportOptions = {}): void {
    this.warnings.push(this.diagnostic('warning', path, message, options));
  }

  error(path: ComposePath, message: string, options: ReportOptions = {}): void {
    // The note's value, inside it, or the field that holds it (ports[0] for ports[0].published).
    const note = this.notes.find((n) => Math.min(n.path.length, path.length) >= 3 && n.path.slice(0, path.length).every((segment, i) => segment === path[i]));
    this.errors.push(this.diagnostic('error', path, note ? `${note.note} (${message})` : message, options));
  }

  private diagnostic(severity: Diagnostic['severity'], path: ComposePath, message: string, options: ReportOptions): Diagnostic {
    const location = this.locator(path, options);
    return { severity, ...location, file: location.file, ...(path.length ? { path: formatPath(path) } : {}), message };
  }
}
