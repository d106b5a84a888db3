import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf } from './test-helpers.ts';

describe('several Compose files merged in order', () => {
  const base = `
services:
  web:
    image: shop/web:1
    ports: ["8080:80"]
    environment: { LOG_LEVEL: info }
  db:
    image: postgres:16
secrets:
  db_password:
    file: ./db_password.txt
`;

  it('merges an override over the base as docker compose -f base -f override does', () => {
    const result = importText(base, {
      overrides: [
        {
          file: 'compose.override.yaml',
          text: `
services:
  web:
    image: shop/web:dev
    environment: [LOG_LEVEL=debug, DEBUG=1]
    secrets: [db_password]
    depends_on: [db]
  worker:
    extends: web
    ports: !!seq []
`,
        },
      ],
      files: { 'db_password.txt': 'x' },
    });
    expect(messages(result.errors)).toEqual([]);
    expect(serviceOf(result, 'web')).toMatchObject({ image: 'shop/web:dev', ports: [{ port: 80 }], env: { LOG_LEVEL: 'debug', DEBUG: '1' }, dependsOn: ['db'] });
    // A service of the override extends one the two files wrote together.
    expect(serviceOf(result, 'worker')).toMatchObject({ image: 'shop/web:dev' });
  });

  it('locates a problem in the file that wrote it', () => {
    const result = importText(base, { overrides: [{ file: 'prod.yml', text: 'services:\n  web:\n    ports: ["http"]\n' }] });
    expect(messages(result.errors)).toEqual([expect.stringMatching(/^prod\.yml:3:12 services\.web\.ports\[1\]: "http" is not a port/)]);
  });

  it('locates a syntax error of a later file in that file', () => {
    const result = importText(base, { overrides: [{ file: 'b.yml', text: 'services:\n  web: [\n' }] });
    expect(result.errors[0]?.file).toBe('b.yml');
    expect(result.errors[0]?.line).toBeGreaterThan(0);
  });
});
