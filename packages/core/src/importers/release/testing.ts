import { formatDiagnostic, type Diagnostic } from '@slipway/contract';
import { stringify } from 'yaml';
import { validateManifestFiles } from '../../manifest/validate-manifest-files.ts';
import { importReleaseTemplate, type ReleaseImportInput } from './import-release-template.ts';
import type { ApplicationManifestInput, ServiceInput } from './manifest-input.ts';

/** What the importer's tests look at: the manifest, its warnings as text, and the loader's verdict on it. */
export interface TestImport {
  value: ApplicationManifestInput;
  warnings: string[];
  /** Errors and warnings of Slipway's own loader on the manifest written out as YAML. */
  loaderErrors: string[];
  loaderWarnings: string[];
  yaml: string;
  service(name: string): ServiceInput;
}

/** Imports a template (and variables) given as YAML text; fails loudly when the importer reports errors. */
export function importYaml(templateText: string, envText?: string, extra: Partial<ReleaseImportInput> = {}): TestImport {
  const result = importReleaseTemplate({
    templateFile: 'application_template.yaml',
    templateText,
    ...(envText === undefined ? {} : { envFile: 'environment_variables.yaml', envText }),
    ...extra,
  });
  if (result.errors.length || !result.value) throw new Error(`import failed:\n${text(result.errors).join('\n')}`);
  const yaml = stringify(result.value, { lineWidth: 0 });
  // Imported applications live in their own repositories; the loader checks bundle references, so
  // the bundle gets a stand-in for each, as a folder holding both applications would.
  const stubs = (result.value.spec.appImports ?? []).map((imp) => ({
    file: `${imp.app}.yaml`,
    text: stringify({ apiVersion: 'slipway.dev/v1', kind: 'Application', metadata: { name: imp.app }, spec: { services: [{ name: 'web', image: 'nginx' }] } }),
  }));
  const check = validateManifestFiles([{ file: 'imported.yaml', text: yaml }, ...stubs]);
  const value = result.value;
  return {
    value,
    warnings: text(result.warnings),
    loaderErrors: text(check.errors),
    loaderWarnings: text(check.warnings),
    yaml,
    service(name) {
      const found = value.spec.services.find((s) => s.name === name);
      if (!found) throw new Error(`no service ${name} in ${value.spec.services.map((s) => s.name).join(', ')}`);
      return found;
    },
  };
}

export function text(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}

/** Imports a template written as data (app: demo unless given), with optional variables file data. */
export function importTemplate(template: Record<string, unknown>, env?: Record<string, unknown>, extra: Partial<ReleaseImportInput> = {}): TestImport {
  return importYaml(stringify({ app: 'demo', ...template }), env === undefined ? undefined : stringify(env), extra);
}
