import { describe, expect, it } from 'vitest';
import { importTemplate, importYaml } from './testing.ts';

const services = [
  { name: 'web', image: 'web', ports: [{ type: 'node_port', port: 8000 }] },
  { name: 'api-server', image: 'api', ports: [{ type: 'node_port', port: 3000 }] },
  { name: 'frontendApp', image: 'front', ports: [{ type: 'node_port', port: 80 }] },
];

describe('environment variables', () => {
  it('puts defaults in env.defaults and per-service lists on the service, the file overriding the template', () => {
    const imported = importTemplate(
      { services: [{ ...services[0], envs: [{ key: 'MODE', value: 'template' }, { key: 'WORKERS', value: 4 }] }] },
      {
        defaults: [{ key: 'DEBUG', value: false }, { key: 'LOG_LEVEL', value: 'info' }],
        services: { web: [{ key: 'MODE', value: 'file' }], other: [] },
      },
    );
    expect(imported.value.spec.env).toEqual({ defaults: { DEBUG: false, LOG_LEVEL: 'info' } });
    expect(imported.service('web').env).toEqual({ MODE: 'file', WORKERS: 4 });
    expect(imported.loaderErrors).toEqual([]);
  });

  it('never copies a secret value: it becomes a reference to a workspace secret, with a warning', () => {
    const imported = importTemplate(
      { services: [services[0]] },
      {
        defaults: [{ key: 'STRIPE_KEY', value: 'sk_live_do_not_copy', secret: true }],
        services: { web: [{ key: 'OPENAI_API_KEY', value: '$secrets.aws./openai/api-token' }] },
      },
    );
    expect(imported.value.spec.env?.defaults).toEqual({ STRIPE_KEY: { secret: 'STRIPE_KEY' } });
    expect(imported.service('web').env).toEqual({ OPENAI_API_KEY: { secret: 'OPENAI_API_KEY' } });
    expect(imported.yaml).not.toContain('sk_live_do_not_copy');
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/environment_variables\.yaml:\d+:\d+ defaults\[0\]: STRIPE_KEY is a secret: its value is not copied into the manifest; store it in the workspace secret "STRIPE_KEY"/);
    expect(warnings).toMatch(/OPENAI_API_KEY reads \/openai\/api-token from Release's aws secrets vault/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it("maps Release's generated variables to Slipway's in env.mapping", () => {
    const imported = importTemplate(
      { services },
      {
        mapping: {
          SECRET_KEY: '$RELEASE_ENV_ID',
          BUILD: 'RELEASE_COMMIT_SHORT',
          SHA: '${RELEASE_COMMIT_SHA}',
          BRANCH: '$RELEASE_BRANCH',
          APP: '$RELEASE_APP_NAME',
          SITE_URL: '$WEB_INGRESS_URL',
          API_BASE: 'https://${API_SERVER_INGRESS_HOST}/v1',
          FRONT: '$FRONTENDAPP_INGRESS_URL',
          ACCOUNT: '$RELEASE_ACCOUNT_ID',
          PRICE: 'costs $5',
        },
      },
    );
    expect(imported.value.spec.env?.mapping).toEqual({
      SECRET_KEY: '${SLIPWAY_ENV_ID}',
      BUILD: '${SLIPWAY_COMMIT_SHORT}',
      SHA: '${SLIPWAY_COMMIT_SHA}',
      BRANCH: '${SLIPWAY_BRANCH}',
      APP: '${SLIPWAY_APP}',
      SITE_URL: '${WEB_URL}',
      API_BASE: 'https://${API_SERVER_HOST}/v1',
      FRONT: '${FRONTEND_APP_URL}',
      PRICE: 'costs $$5',
    });
    expect(imported.warnings.join('\n')).toMatch(/mapping\.ACCOUNT: ACCOUNT is dropped: RELEASE_ACCOUNT_ID is set by Release \(the Release account id\) and Slipway has no equivalent/);
    expect(imported.loaderErrors).toEqual([]);
    expect(imported.loaderWarnings).toEqual([]);
  });

  it('moves values that read other variables to env.mapping, and fills template parameters with their defaults', () => {
    const imported = importTemplate({
      parameters: [{ name: 'llm', default: 'llama3:8b' }],
      services: [
        {
          ...services[2],
          envs: [
            { key: 'VITE_API', value: '${API_SERVER_INGRESS_URL}/api' },
            { key: 'MODEL', value: '${parameters.llm}' },
            { key: 'TOKEN', value: '${TOKEN}' },
          ],
        },
        services[1],
      ],
    });
    expect(imported.service('frontend-app').env).toEqual({ MODEL: 'llama3:8b' });
    expect(imported.value.spec.env?.mapping).toEqual({ VITE_API: '${API_SERVER_URL}/api' });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/VITE_API of service "frontend-app" is computed from other variables .* in spec\.env\.mapping/);
    expect(warnings).toMatch(/\$\{parameters\.llm\} is a Release template parameter; .* default "llama3:8b" is written in/);
    expect(warnings).toMatch(/TOKEN is set from itself/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('gives job variables to the job, and drops variables of unknown services with a hint', () => {
    const imported = importTemplate(
      { services: [{ name: 'ffspostgres', image: 'postgres' }], jobs: [{ name: 'seed', image: 'seed', command: 'seed' }] },
      { services: { seed: [{ key: 'ROWS', value: 10 }], ffs_postgres: [{ key: 'POSTGRES_DB', value: 'ffs' }] } },
    );
    expect(imported.value.spec.jobs?.[0]?.env).toEqual({ ROWS: 10 });
    expect(imported.service('ffspostgres').env).toBeUndefined();
    expect(imported.warnings.join('\n')).toMatch(/services\.ffs_postgres: variables for "ffs_postgres", which is not a service or job of the template \(did you mean "ffspostgres"\?\); dropped/);
  });

  it("warns for gitops settings, bad names and names that take the place of Slipway's", () => {
    const imported = importYaml(
      'app: demo\nservices:\n- name: web\n  image: web\n  ports: [{type: node_port, port: 80}]\n',
      'gitops:\n  immutable_keys: [CUSTOMER]\ndefaults:\n- key: WEB_HOST\n  value: web\n- key: 9LIVES\n  value: x\n- key: A\n  value: 1\n- key: A\n  value: 2\n',
    );
    expect(imported.value.spec.env?.defaults).toEqual({ WEB_HOST: 'web', A: 2 });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/environment_variables\.yaml:1:1 gitops: gitops settings \(such as immutable_keys\)/);
    expect(warnings).toMatch(/defaults\[1\]: variable name "9LIVES" is not letters/);
    expect(warnings).toMatch(/defaults\[3\]: variable A is set twice in this list/);
    expect(warnings).toMatch(/defaults\[0\]: WEB_HOST is also a variable Slipway injects \(the public host of service "web"\)/);
  });
});
