import { formatDiagnostic } from '@slipway/contract';
import { describe, expect, it } from 'vitest';
import { readReleasePointer } from './pointer-file.ts';

describe('readReleasePointer', () => {
  it('reads the Compose file or template a .release.yaml names', () => {
    expect(readReleasePointer('compose: docker-compose.dev.yml\n', '.release.yaml').value).toEqual({ compose: 'docker-compose.dev.yml' });
    expect(readReleasePointer('application_template: t.yaml\nenvironment_variables: e.yaml\n', '.release.yaml').value).toEqual({
      applicationTemplate: 't.yaml',
      environmentVariables: 'e.yaml',
    });
  });

  it('locates a value that is not a path, an unknown key, and a file that names nothing', () => {
    const bad = readReleasePointer('other: 1\ncompose: 3\n', '.release.yaml');
    expect(bad.errors.map(formatDiagnostic)).toEqual(['.release.yaml:2:1 compose: expected compose to be a path relative to the repository, got 3']);
    expect(bad.warnings.map(formatDiagnostic)).toEqual([expect.stringMatching(/^\.release\.yaml:1:1 other: other is not read by the importer/)]);
    expect(readReleasePointer('', '.release.yaml').errors.map(formatDiagnostic)).toEqual([expect.stringMatching(/is empty: expected a mapping such as compose:/)]);
  });
});
