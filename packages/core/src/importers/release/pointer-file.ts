import type { Diagnostic, ParseResult } from '@slipway/contract';
import { parseYamlFile, positionOf } from '../../yaml/yaml-file.ts';

/** What a repository's `.release.yaml` points at, as paths relative to the repository. */
export interface ReleasePointer {
  compose?: string;
  applicationTemplate?: string;
  environmentVariables?: string;
}

const KEYS: Record<string, keyof ReleasePointer> = {
  compose: 'compose',
  application_template: 'applicationTemplate',
  environment_variables: 'environmentVariables',
};

/**
 * Reads `.release.yaml`, the file by which a Release repository names the Compose file or the
 * template Release should read instead of `.release/application_template.yaml`. Keys it does not
 * know are warnings; a value that is not a path is an error at its place.
 */
export function readReleasePointer(text: string, file: string): ParseResult<ReleasePointer> {
  const parsed = parseYamlFile(text, file);
  if (!parsed.value) return { errors: parsed.errors, warnings: parsed.warnings };
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [...parsed.warnings];
  const first = parsed.value.documents[0];
  const expected = 'expected a mapping such as compose: docker-compose.yml or application_template: .release/application_template.yaml';
  if (!first || first.value === null || typeof first.value !== 'object' || Array.isArray(first.value)) {
    const at = first ? positionOf(first.doc, parsed.value.lineCounter, []) : undefined;
    return { errors: [{ severity: 'error', file, ...at, message: `${file} ${first ? 'is not a mapping' : 'is empty'}: ${expected}` }], warnings };
  }
  const pointer: ReleasePointer = {};
  for (const [key, value] of Object.entries(first.value as Record<string, unknown>)) {
    const at = positionOf(first.doc, parsed.value.lineCounter, [key], { key: true });
    const field = KEYS[key];
    if (!field) {
      warnings.push({ severity: 'warning', file, ...at, path: key, message: `${key} is not read by the importer; it reads ${Object.keys(KEYS).join(', ')}` });
    } else if (typeof value !== 'string' || value.trim() === '') {
      errors.push({ severity: 'error', file, ...at, path: key, message: `expected ${key} to be a path relative to the repository, got ${JSON.stringify(value)}` });
    } else pointer[field] = value.trim();
  }
  if (!errors.length && !pointer.compose && !pointer.applicationTemplate) {
    errors.push({ severity: 'error', file, ...positionOf(first.doc, parsed.value.lineCounter, []), message: `${file} names neither a Compose file nor a template: ${expected}` });
  }
  return errors.length ? { errors, warnings } : { value: pointer, errors, warnings };
}
