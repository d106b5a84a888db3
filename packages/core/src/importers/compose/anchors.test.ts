import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

/**
 * A large Compose file as teams write them: x- blocks of shared settings (logging, health checks,
 * environment, resources) merged into every service with <<, an anchor on every service, and
 * workers at the end that merge a worker block and the common one. yaml's own alias count refused
 * such a file ("Excessive alias count indicates a resource exhaustion attack").
 */
function largeCompose(services: number): string {
  const out = [
    'x-logging: &logging',
    '  driver: json-file',
    '  options: { max-size: 10m, max-file: "3" }',
    'x-healthcheck: &healthcheck',
    '  interval: 10s',
    '  timeout: 5s',
    '  retries: 5',
    'x-env: &env',
    '  LOG_LEVEL: info',
    '  REGION: eu-west-1',
    'x-resources: &resources',
    '  limits: { cpus: "0.5", memory: 512M }',
    'x-worker: &worker',
    '  command: ["worker"]',
    '  environment:',
    '    <<: *env',
    '    ROLE: worker',
    'x-common: &common',
    '  logging: *logging',
    '  deploy:',
    '    resources: *resources',
    '  environment:',
    '    <<: *env',
    '    COMMON: "1"',
    'services:',
  ];
  for (let i = 0; i < services; i++) {
    out.push(
      `  svc-${i}: &svc-${i}`,
      '    <<: *common',
      `    image: example/svc-${i}:1.0`,
      `    ports: ["${8000 + i}:8080"]`,
      '    healthcheck:',
      '      <<: *healthcheck',
      '      test: ["CMD", "curl", "-f", "http://localhost:8080/health"]',
      '    environment:',
      '      <<: *env',
      `      SERVICE: svc-${i}`,
    );
  }
  for (let i = 0; i < services; i += 10) out.push(`  worker-${i}:`, '    <<: [*worker, *common]', `    image: example/svc-${i}:1.0`);
  return `${out.join('\n')}\n`;
}

describe('importCompose: anchors and merge keys at scale', () => {
  it('imports a file of 136 anchors and 400 merge keys, and the manifest validates', () => {
    const text = largeCompose(130);
    expect(text.match(/&[\w-]+/g)).toHaveLength(136);
    const started = performance.now();
    const result = importText(text);
    const took = performance.now() - started;
    expect(messages(result.errors)).toEqual([]);
    expect(result.value?.spec.services).toHaveLength(143);
    expect(serviceOf(result, 'svc-129')).toMatchObject({
      image: 'example/svc-129:1.0',
      env: expect.objectContaining({ LOG_LEVEL: 'info', SERVICE: 'svc-129' }),
      resources: { limits: { cpu: 0.5, memory: '512Mi' } },
    });
    expect(serviceOf(result, 'worker-120')).toMatchObject({ args: ['worker'], env: expect.objectContaining({ ROLE: 'worker' }) });
    expect(validate(result).errors).toEqual([]);
    expect(took).toBeLessThan(5000);
  });

  it('refuses an alias bomb quickly, at the alias where the budget ran out', () => {
    const lines = ['x-l0: &l0 "lol"'];
    for (let i = 1; i <= 9; i++) lines.push(`x-l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    lines.push('services:', '  web:', '    image: nginx', '    command: *l9');
    const started = performance.now();
    const result = importText(`${lines.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.value).toBeUndefined();
    expect(messages(result.errors)).toEqual([expect.stringMatching(/^compose\.yaml:7:\d+: YAML: aliases expand this document beyond 100,000 values/)]);
  });

  it('locates an alias of no anchor and a merge of something other than a mapping', () => {
    const result = importText('services:\n  web:\n    <<: [*defaults]\n    image: nginx\n  api:\n    <<: 3\n    image: api\n');
    expect(messages(result.errors)).toEqual([
      'compose.yaml:3:10: YAML: *defaults names no anchor; define the anchor &defaults before using *defaults',
      'compose.yaml:6:9: YAML: a merge key << takes a mapping or a list of mappings, as in <<: *defaults or <<: [*defaults, *limits]; got the number 3',
    ]);
  });
});
