import { formatPath, type Diagnostic } from '@slipway/contract';
import type { Document, LineCounter } from 'yaml';
import { positionOf } from '../../yaml/yaml-file.ts';

/** A path in the Compose document, such as ['services', 'web', 'ports', 0]. */
export type ComposePath = (string | number)[];

export interface ReportOptions {
  /** Point at the key rather than its value: right for "this field has no equivalent". */
  atKey?: boolean;
}

/** Collects diagnostics that point back into the Compose file by line, column and path. */
export class Reporter {
  readonly warnings: Diagnostic[] = [];
  readonly errors: Diagnostic[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  warn(path: ComposePath, message: string, options: ReportOptions = {}): void {
    this.warnings.push(this.diagnostic('warning', path, message, options));
  }

  error(path: ComposePath, message: string, options: ReportOptions = {}): void {
    this.errors.push(this.diagnostic('error', path, message, options));
  }

  private diagnostic(severity: Diagnostic['severity'], path: ComposePath, message: string, options: ReportOptions): Diagnostic {
    const position = positionOf(this.doc, this.lineCounter, path, { key: options.atKey });
    return { severity, file: this.file, ...position, ...(path.length ? { path: formatPath(path) } : {}), message };
  }
}
