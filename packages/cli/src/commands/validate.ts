import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import { validateManifestFiles } from '@slipway/core';
import type { Diagnostic } from '@slipway/contract';
import { plural, printDiagnostics } from '../diagnostics-output.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { displayPath, manifestFilesOf } from '../manifest-files.ts';

export interface ValidateOptions {
  paths: string[];
  output: OutputFormat;
  /** Warnings fail too. */
  strict?: boolean;
}

/** Checks manifests (files, folders, repositories' .slipway/) as one bundle; exit 1 when any is invalid. */
export async function validate(options: ValidateOptions, io: CommandIO): Promise<number> {
  const files: { file: string; text: string }[] = [];
  const unreadable: Diagnostic[] = [];
  for (const path of options.paths.length ? options.paths : ['.']) {
    let found: string[];
    try {
      found = manifestFilesOf(path);
    } catch (e) {
      unreadable.push({ severity: 'error', file: path, message: `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}` });
      continue;
    }
    if (found.length === 0) unreadable.push({ severity: 'error', file: path, message: 'no manifest (.yaml or .yml) here or in its .slipway/ folder' });
    for (const file of found) files.push({ file: displayPath(file), text: readFileSync(file, 'utf8') });
  }
  const result = validateManifestFiles(files);
  const errors = [...unreadable, ...result.errors];
  const manifests = (result.value ?? []).map((l) => ({ file: l.file, kind: l.manifest.kind, name: l.manifest.metadata.name, apiVersion: l.manifest.apiVersion }));
  const failed = errors.length > 0 || (options.strict === true && result.warnings.length > 0);
  if (options.output === 'json') {
    io.out(JSON.stringify({ valid: !failed, files: files.map((f) => f.file), manifests, errors, warnings: result.warnings }, null, 2));
  } else {
    printDiagnostics(io, { errors, warnings: result.warnings });
    const summary = `${plural(files.length, 'file')}, ${plural(manifests.length, 'manifest')}`;
    if (failed) io.err(pc.red(`✗ ${plural(errors.length, 'error')}, ${plural(result.warnings.length, 'warning')} (${summary})`));
    else {
      for (const m of manifests) io.out(`${pc.green('✓')} ${m.kind} ${pc.bold(m.name)} ${pc.dim(m.file)}`);
      io.out(`${pc.green('valid')}: ${summary}${result.warnings.length ? `, ${plural(result.warnings.length, 'warning')}` : ''}`);
    }
  }
  return failed ? ExitCode.invalid : ExitCode.ok;
}
