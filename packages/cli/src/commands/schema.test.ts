import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from './schema.ts';

const committed = fileURLToPath(new URL('../../../../schema/', import.meta.url));

describe('committed JSON Schema', () => {
  it('matches the zod schemas (run `npm run schema` after changing the contract)', () => {
    const generated = schemaFiles();
    expect(readdirSync(committed).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, text] of Object.entries(generated)) {
      expect(readFileSync(`${committed}${name}`, 'utf8'), `schema/${name} is stale: run npm run schema`).toBe(text);
    }
  });

  it('describes fields for editors and refuses unknown keys', () => {
    const application = JSON.parse(schemaFiles()['application.json']!);
    expect(application.anyOf[0].properties.spec).toEqual({ $ref: '#/definitions/ApplicationSpec' });
    expect(application.definitions.ApplicationSpec.properties.services.items).toEqual({ $ref: '#/definitions/Service' });
    const service = application.definitions.Service;
    expect(service.additionalProperties).toBe(false);
    expect(service.properties.run.description).toMatch(/local runtime/);
    expect(service.required).toEqual(['name']);
  });
});
