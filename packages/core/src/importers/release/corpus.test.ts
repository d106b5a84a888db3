import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applicationManifest, formatDiagnostic } from '@slipway/contract';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateManifestFiles } from '../../manifest/validate-manifest-files.ts';
import { importReleaseTemplate } from './index.ts';

/** The repository root: the nearest folder above this file whose package.json declares the workspaces. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (path.dirname(dir) !== dir) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && 'workspaces' in JSON.parse(readFileSync(manifest, 'utf8'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('no repository root above this test');
}

// The corpus is kept in the repository (corpus/release), so every clone tests against it.
const corpus = path.resolve(repoRoot(), 'corpus/release');
const folders = readdirSync(corpus).filter((f) => existsSync(path.join(corpus, f, '.release', 'application_template.yaml')));

function importFolder(folder: string) {
  const dir = path.join(corpus, folder, '.release');
  const envPath = path.join(dir, 'environment_variables.yaml');
  return importReleaseTemplate({
    templateFile: `${folder}/.release/application_template.yaml`,
    templateText: readFileSync(path.join(dir, 'application_template.yaml'), 'utf8'),
    ...(existsSync(envPath) ? { envFile: `${folder}/.release/environment_variables.yaml`, envText: readFileSync(envPath, 'utf8') } : {}),
  });
}

describe('Release corpus', () => {
  it('holds the eight templates of SOURCE.md', () => {
    expect(folders).toHaveLength(8);
  });

  describe.each(folders)('%s', (folder) => {
    const result = importFolder(folder);

    it('imports with no errors, each warning placed on a line of a Release file', () => {
      expect(result.errors.map(formatDiagnostic)).toEqual([]);
      expect(result.value).toBeDefined();
      for (const w of result.warnings) {
        expect(w.file).toMatch(/\.release\/(application_template|environment_variables)\.yaml$/);
        expect(w.line).toBeGreaterThan(0);
        expect(w.column).toBeGreaterThan(0);
      }
    });

    it('is a valid Application written out as YAML and read back', () => {
      const yaml = stringify(result.value, { lineWidth: 0 });
      expect(applicationManifest.safeParse(result.value).error?.issues ?? []).toEqual([]);
      const loaded = validateManifestFiles([{ file: `${folder}.yaml`, text: yaml }]);
      expect(loaded.errors.map(formatDiagnostic)).toEqual([]);
      expect(loaded.value).toHaveLength(1);
    });

    it('writes no undefined values and runs on docker', () => {
      expect(hasUndefined(result.value)).toBe(false);
      expect(result.value?.spec.runtime).toBe('docker');
    });
  });

  it('carries the specifics of each template over', () => {
    const byFolder = Object.fromEntries(folders.map((f) => [f, importFolder(f)]));
    const spec = (f: string) => byFolder[f]!.value!.spec;
    const warnings = (f: string) => byFolder[f]!.warnings.map((w) => w.message).join('\n');

    // Helm charts and their tasks go, with a warning; the image of an app-level build is built.
    expect(warnings('amundsen-io__amundsen')).toMatch(/Helm charts \(amundsen, ingress\)/);
    expect(spec('amundsen-io__amundsen').services.find((s) => s.name === 'backend')?.build).toEqual({ dockerfile: 'Dockerfile.release' });

    // Secrets from a vault become references, never values; the custom workflow is dropped.
    const genai = spec('awesome-release__genai-stack');
    expect(genai.services.find((s) => s.name === 'api')?.env?.OPENAI_API_KEY).toEqual({ secret: 'OPENAI_API_KEY' });
    expect(JSON.stringify(genai)).not.toContain('openai/api-token');
    expect(genai.jobs?.map((j) => j.name)).toEqual(['gitbook-ingest-job', 'pull-model']);
    expect(genai.env?.mapping).toEqual({ VITE_API_BASE_URL: '${API_URL}' });

    // camelCase services are renamed everywhere they are referred to.
    const otel = spec('awesome-release__opentelemetry-demo');
    expect(otel.services.map((s) => s.name)).toContain('frontend-tests');
    expect(JSON.stringify(otel.workflows)).toContain('services.integration-tests');
    expect(warnings('awesome-release__opentelemetry-demo')).toMatch(/"ffs_postgres".*did you mean "ffspostgres"/);

    // order_from: each task its own step.
    expect(spec('dockersamples__example-voting-app').workflows?.patch?.steps).toEqual([{ tasks: ['services.vote'] }, { tasks: ['services.result'] }]);

    // depends_on naming services that do not exist is dropped.
    expect(spec('elanderholm__sidekiq_rails_postgres_redis').services[0]?.dependsOn).toBeUndefined();
    expect(spec('elanderholm__sidekiq_rails_postgres_redis').repository).toEqual({ trackingBranch: 'foo' });

    // Release's generated variables map to Slipway's.
    expect(spec('releasehub-samples__posthog').env?.mapping).toEqual({ SECRET_KEY: '${SLIPWAY_ENV_ID}', SITE_URL: '${WEB_URL}' });

    // A template of runners only still makes a valid application, and says so.
    expect(warnings('releasehub-samples__terraform-runner-example')).toMatch(/placeholder/);
    expect(spec('releasehub-samples__terraform-runner-example').workflows).toEqual({ teardown: { steps: [{ tasks: ['environment.remove'] }] } });

    expect(spec('sixhobbits__release-gatsby').services[0]?.static).toEqual({ build: 'gatsby build', output: 'public' });
  });
});

function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasUndefined);
  return false;
}
