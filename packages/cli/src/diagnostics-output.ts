import pc from 'picocolors';
import { formatDiagnostic, type Diagnostic } from '@slipway/contract';
import type { CommandIO } from './io.ts';

/** Prints diagnostics for people: errors in red, warnings in yellow, each on one line. */
export function printDiagnostics(io: CommandIO, diagnostics: { errors: Diagnostic[]; warnings: Diagnostic[] }): void {
  for (const d of diagnostics.errors) io.err(`${pc.red('error')}   ${formatDiagnostic(d)}`);
  for (const d of diagnostics.warnings) io.err(`${pc.yellow('warning')} ${formatDiagnostic(d)}`);
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
