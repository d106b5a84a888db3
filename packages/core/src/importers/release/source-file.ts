import { formatPath, type Diagnostic } from '@slipway/contract';
import type { Document, LineCounter } from 'yaml';
import { positionOf } from '../../yaml/yaml-file.ts';

/** A path in a Release document, such as ['services', 3, 'ports', 0]. */
export type Path = (string | number)[];

export interface DiagnosticSink {
  warnings: Diagnostic[];
  errors: Diagnostic[];
}

/**
 * One of the Release files being imported. Findings are reported against the Release file (its
 * line, column and path), because that is the text the user has in front of them; the Slipway
 * manifest does not exist yet.
 */
export class SourceFile {
  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed | undefined,
    private readonly lineCounter: LineCounter | undefined,
    private readonly sink: DiagnosticSink,
  ) {}

  /** The same file with its findings discarded: for reading a part twice without reporting it twice. */
  silent(): SourceFile {
    return new SourceFile(this.file, this.doc, this.lineCounter, { warnings: [], errors: [] });
  }

  warn(path: Path, message: string): void {
    this.sink.warnings.push(this.diagnostic('warning', path, message));
  }

  error(path: Path, message: string): void {
    this.sink.errors.push(this.diagnostic('error', path, message));
  }

  private diagnostic(severity: Diagnostic['severity'], path: Path, message: string): Diagnostic {
    // The key, not its value: "hostnames:" is where a reader looks for a note about hostnames.
    const position = this.doc && this.lineCounter ? positionOf(this.doc, this.lineCounter, path, { key: true }) : undefined;
    const diagnostic: Diagnostic = { severity, file: this.file, message };
    if (position) {
      diagnostic.line = position.line;
      diagnostic.column = position.column;
    }
    if (path.length > 0) diagnostic.path = formatPath(path);
    return diagnostic;
  }
}
