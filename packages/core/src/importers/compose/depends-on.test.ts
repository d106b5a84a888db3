import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('depends_on', () => {
  it('turns the list form into names, which wait for readiness', () => {
    const result = importText(`
services:
  web: { image: web, depends_on: [db, cache] }
  db: { image: postgres }
  cache: { image: redis }
`);
    expect(serviceOf(result, 'web').dependsOn).toEqual(['db', 'cache']);
    expect(validate(result).errors).toEqual([]);
  });

  it('maps the conditions of the map form', () => {
    const result = importText(`
services:
  web:
    image: web
    depends_on:
      db: { condition: service_healthy }
      cache: { condition: service_started, restart: true }
      migrate: { condition: service_completed_successfully }
      queue: {}
  db: { image: postgres }
  cache: { image: redis }
  migrate: { image: web }
  queue: { image: rabbitmq }
`);
    expect(result.errors).toEqual([]);
    expect(serviceOf(result, 'web').dependsOn).toEqual([
      'db',
      { name: 'cache', condition: 'started' },
      { name: 'migrate', condition: 'completed' },
      'queue',
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('warns about an unknown condition and waits for readiness', () => {
    const result = importText(`
services:
  web:
    image: web
    depends_on:
      db:
        condition: service_happy
  db: { image: postgres }
`);
    expect(serviceOf(result, 'web').dependsOn).toEqual(['db']);
    expect(messages(result.warnings)).toEqual([expect.stringMatching(/^compose\.yaml:7:20 services\.web\.depends_on\.db\.condition: unknown condition "service_happy"/)]);
  });

  it('follows renamed services', () => {
    const result = importText(`
services:
  web: { image: web, depends_on: [my_db] }
  my_db: { image: postgres }
`);
    expect(serviceOf(result, 'web').dependsOn).toEqual(['my-db']);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:4:3 services.my_db: service "my_db" is renamed "my-db": names are lowercase letters, digits and "-"; other services that reach it as my_db must use my-db',
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('refuses a dependency on a service the file does not have', () => {
    const result = importText(`
services:
  web:
    image: web
    depends_on: [db]
`);
    expect(messages(result.errors)).toEqual(['compose.yaml:5:18 services.web.depends_on[0]: depends on "db", which is not a service of this file']);
  });

  it('refuses a cycle', () => {
    const result = importText(`
services:
  a: { image: a, depends_on: [b] }
  b: { image: b, depends_on: [a] }
`);
    expect(messages(result.errors)).toEqual([expect.stringMatching(/^compose\.yaml:3:\d+ services\.a\.depends_on: dependency cycle: a → b → a/)]);
  });
});
