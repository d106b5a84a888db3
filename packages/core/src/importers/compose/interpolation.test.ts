import { describe, expect, it } from 'vitest';
import { composeDurationMs, formatDuration } from './durations.ts';
import { parseDotenv } from './dotenv.ts';
import { parseComposeTemplate, referencedVariables, resolveComposeTemplate, toSlipwayTemplate } from './interpolation.ts';

const vars: Record<string, string> = { SET: 'x', EMPTY: '' };
const resolve = (source: string) => resolveComposeTemplate(parseComposeTemplate(source).parts, (n) => vars[n]);

describe('Compose interpolation', () => {
  it('resolves every form as Compose does', () => {
    expect(resolve('$SET ${SET} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}').value).toBe('x x d d  d');
    expect(resolve('${SET:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${UNSET+alt}').value).toBe('alt  alt ');
    expect(resolve('${UNSET:-${SET}} $$SET $').value).toBe('x $SET $');
    expect(resolve('a${UNSET}b')).toEqual({ value: 'ab', unset: ['UNSET'], required: [] });
    expect(resolve('${UNSET:?needed}').required).toEqual([{ name: 'UNSET', message: 'needed' }]);
  });

  it('writes Slipway templates, which share ${VAR}, :-, - and $$', () => {
    const template = (s: string) => toSlipwayTemplate(parseComposeTemplate(s).parts);
    expect(template('http://$HOST:${PORT:-80}/${P-x} costs $$5')).toBe('http://${HOST}:${PORT:-80}/${P-x} costs $$5');
    expect(template('${A:-${B}}')).toBe('${A:-${B}}');
    expect(template('${A:?required}')).toBe('${A}');
    expect(template('${A:+on}')).toBeUndefined();
  });

  it('lists the variables read, with whether a default covers them', () => {
    expect(referencedVariables(parseComposeTemplate('${A} ${B:-${C}}').parts)).toEqual([
      { name: 'A', hasDefault: false },
      { name: 'B', hasDefault: true },
      { name: 'C', hasDefault: false },
    ]);
  });

  it('reports malformed references', () => {
    expect(parseComposeTemplate('${A').problems).toEqual(['unclosed "${" in "${A"']);
    expect(parseComposeTemplate('${A B}').problems).toEqual(['"${A B}" is not a variable reference Compose understands']);
  });
});

describe('dotenv', () => {
  it('reads comments, export, quotes and bare keys, with line numbers', () => {
    const parsed = parseDotenv('# c\n\nexport A=1\nB = two words # note\nC="multi\nline \\"q\\""\nD=\'$lit\'\nE\nF="open\n');
    expect(parsed.entries).toEqual([
      { key: 'A', value: '1', literal: false, line: 3 },
      { key: 'B', value: 'two words', literal: false, line: 4 },
      { key: 'C', value: 'multi\nline "q"', literal: false, line: 5 },
      { key: 'D', value: '$lit', literal: true, line: 7 },
      { key: 'E', literal: false, line: 8 },
      { key: 'F', value: 'open\n', literal: false, line: 9 },
    ]);
    expect(parsed.problems).toEqual([{ line: 9, message: 'the double quote of F is never closed' }]);
  });
});

describe('durations', () => {
  it('reads Go durations and writes one unit', () => {
    expect(['1m30s', '10s', '1.5s', '2h', '300ms', '10us', '0', 'soon'].map(composeDurationMs)).toEqual([90_000, 10_000, 1500, 7_200_000, 300, 0.01, 0, undefined]);
    expect([90_000, 60_000, 1500, 7_200_000, 0.01, 0].map(formatDuration)).toEqual(['90s', '1m', '1500ms', '2h', '1ms', '0s']);
  });
});
