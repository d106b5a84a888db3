import type { Diagnostic, ParseResult } from '@slipway/contract';
import { checkBundle } from './bundle-checks.ts';
import { loadManifestText, sortDiagnostics, type LoadedManifest } from './load-manifests.ts';

export interface ManifestFile {
  file: string;
  text: string;
}

/** Loads several files as one bundle: each document's shape and meaning, then the references between them. */
export function validateManifestFiles(files: ManifestFile[]): ParseResult<LoadedManifest[]> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const loaded: LoadedManifest[] = [];
  for (const { file, text } of files) {
    const result = loadManifestText(text, file);
    errors.push(...result.errors);
    warnings.push(...result.warnings);
    loaded.push(...(result.value ?? []));
  }
  const bundle = checkBundle(loaded);
  errors.push(...bundle.errors);
  warnings.push(...bundle.warnings);
  return { value: loaded, errors: sortDiagnostics(errors), warnings: sortDiagnostics(warnings) };
}
