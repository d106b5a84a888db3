import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '@slipway/contract';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateManifestFiles } from '../../index.ts';
import { importCompose } from './index.ts';

// The corpus is kept in the repository (corpus/compose), so every clone tests against it.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');
const corpus = resolve(repoRoot, 'corpus/compose');
const files = readdirSync(corpus).filter((f) => /\.ya?ml$/.test(f)).sort();

describe('Compose corpus', () => {
  it('holds the files of SOURCE.md', () => {
    expect(files.length).toBeGreaterThanOrEqual(39);
  });

  it.each(files)('%s imports and validates with no errors', (name) => {
    const path = join(corpus, name);
    const result = importCompose({
      file: name,
      text: readFileSync(path, 'utf8'),
      readFile: (relative) => {
        const full = resolve(corpus, relative);
        return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
      },
    });
    expect(result.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.value).toBeDefined();
    for (const w of result.warnings) {
      // Every warning points at its place in the file, except the few about the file as a whole.
      expect(w.file).toBe(name);
      if (w.path) expect(w.line, formatDiagnostic(w)).toBeGreaterThan(0);
    }

    const text = stringify(result.value, { lineWidth: 0 });
    // Written and read back unchanged: no undefined values, nothing YAML cannot carry.
    expect(parse(text)).toStrictEqual(result.value);
    const check = validateManifestFiles([{ file: `${name}.slipway.yaml`, text }]);
    expect(check.errors.map(formatDiagnostic)).toEqual([]);
    expect(check.value?.[0]?.manifest.kind).toBe('Application');
  });
});
