import { loadManifestText } from '../manifest/load-manifests.ts';
import { formatDiagnostic } from '@slipway/contract';

/** Loads YAML written in a test and returns its errors and warnings as the CLI prints them. */
export function diagnosticsOf(text: string, file = 'app.yaml'): { errors: string[]; warnings: string[] } {
  const result = loadManifestText(text, file);
  return { errors: result.errors.map(formatDiagnostic), warnings: result.warnings.map(formatDiagnostic) };
}

/** A minimal valid Application with the given spec lines (indented under spec:). */
export function application(specYaml: string, name = 'shop'): string {
  return `apiVersion: slipway.dev/v1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n${specYaml.replace(/^\n/, '')}`;
}
