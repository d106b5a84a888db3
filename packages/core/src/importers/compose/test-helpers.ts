import { formatDiagnostic, type Diagnostic } from '@slipway/contract';
import { stringify } from 'yaml';
import { validateManifestFiles } from '../../index.ts';
import { importCompose, type ComposeImportInput } from './index.ts';
import type { ServiceInput } from './manifest-input.ts';

/** Imports Compose text as compose.yaml; `files` are what readFile finds. */
export function importText(text: string, options: Partial<ComposeImportInput> & { files?: Record<string, string> } = {}) {
  const { files, ...rest } = options;
  return importCompose({
    file: 'compose.yaml',
    text,
    name: 'app',
    ...(files ? { readFile: (p: string) => files[p] } : {}),
    ...rest,
  });
}

/** The imported service of that name; fails the test when there is none. */
export function serviceOf(result: ReturnType<typeof importText>, name: string): ServiceInput {
  const service = result.value?.spec.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name}: ${result.errors.map(formatDiagnostic).join('; ')}`);
  return service;
}

export function messages(list: Diagnostic[]): string[] {
  return list.map(formatDiagnostic);
}

/** The manifest as YAML, loaded back by the project's loader: its errors (and warnings). */
export function validate(result: ReturnType<typeof importText>) {
  const text = stringify(result.value, { lineWidth: 0 });
  const check = validateManifestFiles([{ file: 'app.yaml', text }]);
  return { errors: messages(check.errors), warnings: messages(check.warnings), text };
}
