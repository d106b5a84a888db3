import { describe, expect, it } from 'vitest';
import { interpolate, parseTemplate, referencedVariables } from './interpolate.ts';

const vars: Record<string, string> = { HOST: 'db', EMPTY: '', PORT: '5432' };
const lookup = (name: string) => vars[name];

describe('interpolate', () => {
  it('fills references', () => {
    expect(interpolate('postgres://${HOST}:${PORT}/app', lookup)).toEqual({ value: 'postgres://db:5432/app', missing: [] });
  });
  it('uses :- fallbacks when unset or empty, - fallbacks only when unset', () => {
    expect(interpolate('${NOPE:-x}|${EMPTY:-y}|${EMPTY-z}|${NOPE-w}', lookup).value).toBe('x|y||w');
  });
  it('nests fallbacks', () => {
    expect(interpolate('${A:-${B:-${HOST}}}', lookup).value).toBe('db');
  });
  it('reports unset variables without a fallback and renders them empty', () => {
    expect(interpolate('a${NOPE}b', lookup)).toEqual({ value: 'ab', missing: ['NOPE'] });
  });
  it('writes $$ as a literal dollar', () => {
    expect(interpolate('cost: $$5 ${PORT}', lookup).value).toBe('cost: $5 5432');
  });
  it('reports syntax errors', () => {
    expect(parseTemplate('x ${HOST').errors[0]).toMatch(/unclosed/);
    expect(parseTemplate('${not valid}').errors[0]).toMatch(/does not name a variable/);
  });
  it('lists referenced variables', () => {
    expect(referencedVariables(parseTemplate('${A:-${B}}').parts)).toEqual([
      { name: 'A', hasFallback: true },
      { name: 'B', hasFallback: false },
    ]);
  });
});
