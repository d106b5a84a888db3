import { describe, expect, it } from 'vitest';
import { mergeVariables, parseAssignments, parseNames } from './variable-assignments.ts';

describe('parseAssignments', () => {
  it('splits at the first "=", keeping empty values and later "="', () => {
    expect(parseAssignments(['LOG_LEVEL=debug', 'EMPTY=', 'URL=postgres://u@h/db?sslmode=require', 'discovery.type=single-node'])).toEqual({
      value: { LOG_LEVEL: 'debug', EMPTY: '', URL: 'postgres://u@h/db?sslmode=require', 'discovery.type': 'single-node' },
      errors: [],
    });
  });

  it('says what is wrong with each bad argument', () => {
    const { errors } = parseAssignments(['LOG_LEVEL', '=x', '1X=2', 'MY VAR=1', 'A=1', 'A=2', 'not valid']);
    expect(errors).toEqual([
      '"LOG_LEVEL": expected NAME=VALUE, but there is no "=" (to remove LOG_LEVEL, use --unset LOG_LEVEL)',
      '"=x": the name before "=" is empty',
      '"1X=2": "1X" is not a variable name: it starts with a digit',
      '"MY VAR=1": "MY VAR" is not a variable name: " " is not allowed (use letters, digits, "_", "." and "-")',
      'A is given twice ("A=1" and "A=2"); give it once',
      '"not valid": expected NAME=VALUE, but there is no "="',
    ]);
  });

  it('refuses a value longer than the API takes', () => {
    expect(parseAssignments([`BIG=${'x'.repeat(65_537)}`]).errors).toEqual(['BIG: the value is 65537 characters long; at most 65536 are allowed']);
  });
});

describe('parseNames', () => {
  it('takes names, once each, and refuses assignments and bad names', () => {
    expect(parseNames(['A', 'B', 'A'])).toEqual({ value: ['A', 'B'], errors: [] });
    expect(parseNames(['A=1', '9lives']).errors).toEqual([
      '--unset A=1: give only the name to remove, without "=" (A)',
      '--unset "9lives": "9lives" is not a variable name: it starts with a digit',
    ]);
  });
});

describe('mergeVariables', () => {
  it('sets, replaces and removes, and tells what actually changed', () => {
    const result = mergeVariables({ A: '1', B: '2', C: '3' }, { A: '1', B: 'two', D: '4' }, ['C', 'Z']);
    expect(result).toEqual({ variables: { A: '1', B: 'two', D: '4' }, changed: ['B', 'D'], removed: ['C'], notSet: ['Z'] });
  });
});
