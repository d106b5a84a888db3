import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const services = [{ name: 'web', image: 'web' }];

describe('app imports', () => {
  it('imports other applications with their branch and excluded services', () => {
    const imported = importTemplate({
      app: 'frontend',
      services,
      app_imports: [
        { name: 'backend', branch: 'main', exclude_services: [{ name: 'redis' }, 'Postgres_DB'] },
        { name: 'Admin_Portal' },
        { name: 'backend' },
        { name: 'frontend' },
        { name: 'payments', pull_request: true },
      ],
    });
    expect(imported.value.spec.appImports).toEqual([
      { app: 'backend', branch: 'main', excludeServices: ['redis', 'postgres-db'] },
      { app: 'admin-portal' },
      { app: 'payments' },
    ]);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/app_imports\[1\]\.name: imported application "Admin_Portal" is referred to as "admin-portal"/);
    expect(warnings).toMatch(/app_imports\[2\]: "backend" is imported twice/);
    expect(warnings).toMatch(/app_imports\[3\]: an application cannot import itself/);
    expect(warnings).toMatch(/app_imports\[4\]\.pull_request: app import field "pull_request" has no Slipway equivalent/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it("reads other applications' ingress variables as theirs", () => {
    const imported = importTemplate({ services, app_imports: [{ name: 'backend' }] }, { mapping: { API_URL: '$BACKEND_API_INGRESS_URL' } });
    expect(imported.value.spec.env?.mapping).toEqual({ API_URL: '${BACKEND_API_URL}' });
    expect(imported.warnings.join('\n')).toMatch(/BACKEND_API_INGRESS_URL names no service of this application; .* an imported application's service "backend-api" would provide/);
  });
});

describe('datasets', () => {
  it('attaches workspace datasets of the same name, warning about the variables they inject', () => {
    const imported = importTemplate({ services, datasets: [{ name: 'Prod_Snapshot' }, 'analytics', 'analytics'] });
    expect(imported.value.spec.datasets).toEqual([
      { name: 'prod-snapshot', source: { url: { secret: 'dataset-prod-snapshot-url' } } },
      { name: 'analytics', source: { url: { secret: 'dataset-analytics-url' } }, envPrefix: 'ANALYTICS' },
    ]);
    expect(imported.warnings.join('\n')).toMatch(/datasets\[0\]: dataset "Prod_Snapshot" becomes the dataset "prod-snapshot", copied from the PostgreSQL URL in the secret dataset-prod-snapshot-url .* DATABASE_URL/);
    expect(imported.warnings.join('\n')).toMatch(/datasets\[1\]: .* injected as ANALYTICS_URL, /);
    expect(imported.loaderErrors).toEqual([]);
  });
});
