import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

const withHealthcheck = (healthcheck: string) => `
services:
  db:
    image: postgres
    healthcheck:
${healthcheck
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;

describe('healthcheck', () => {
  it('runs a CMD test as a list of words, with its timing', () => {
    const result = importText(
      withHealthcheck(`
test: ["CMD", "pg_isready", "-U", "postgres"]
interval: 10s
timeout: 5s
retries: 5
`),
    );
    expect(serviceOf(result, 'db').readiness).toEqual({ exec: { command: ['pg_isready', '-U', 'postgres'] }, period: '10s', timeout: '5s', failureThreshold: 5 });
    expect(validate(result).errors).toEqual([]);
  });

  it('runs CMD-SHELL and string tests through the shell', () => {
    const shell = importText(withHealthcheck(`test: ["CMD-SHELL", "curl -f localhost || exit 1"]`));
    expect(serviceOf(shell, 'db').readiness).toEqual({ exec: { command: 'curl -f localhost || exit 1' } });
    const string = importText(withHealthcheck(`test: curl -f localhost`));
    expect(serviceOf(string, 'db').readiness).toEqual({ exec: { command: 'curl -f localhost' } });
  });

  it('counts start_period as failures allowed rather than a delay, and reads Go durations', () => {
    const result = importText(
      withHealthcheck(`
test: ["CMD", "true"]
interval: 1m30s
timeout: 1500ms
start_period: 3m
`),
    );
    // 3 retries, plus the two 90s periods that fit in the 3m start period.
    expect(serviceOf(result, 'db').readiness).toEqual({ exec: { command: ['true'] }, period: '90s', timeout: '1500ms', failureThreshold: 5 });
  });

  it('makes no probe when disabled or NONE', () => {
    expect(serviceOf(importText(withHealthcheck('disable: true')), 'db').readiness).toBeUndefined();
    expect(serviceOf(importText(withHealthcheck('test: ["NONE"]')), 'db').readiness).toBeUndefined();
  });

  it('warns about a duration it cannot read, and leaves it out', () => {
    const result = importText(withHealthcheck(`test: ["CMD", "true"]\ninterval: often`));
    expect(serviceOf(result, 'db').readiness).toEqual({ exec: { command: ['true'] } });
    expect(messages(result.warnings)).toEqual(['compose.yaml:7:17 services.db.healthcheck.interval: "often" is not a duration such as 10s or 1m30s; it is left out']);
  });

  it('refuses a test list that does not start with CMD, CMD-SHELL or NONE', () => {
    const result = importText(withHealthcheck(`test: ["pg_isready"]`));
    expect(messages(result.errors)).toEqual(['compose.yaml:6:13 services.db.healthcheck.test: a test list starts with "CMD", "CMD-SHELL" or "NONE", got "pg_isready"']);
  });
});
