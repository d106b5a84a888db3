import { describe, expect, it } from 'vitest';
import { elapsedBetween, formatElapsed, relativeTime } from './time-format.ts';

const now = new Date('2026-01-01T12:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

describe('relativeTime', () => {
  it('reads ahead as "in …" and behind as "… ago", in the largest whole unit', () => {
    expect(relativeTime(at(72 * 3_600_000 - 60_000), now)).toBe('in 71h');
    expect(relativeTime(at(45_000), now)).toBe('in 45s');
    expect(relativeTime(at(-25 * 60_000), now)).toBe('25m ago');
    expect(relativeTime(at(7 * 86_400_000), now)).toBe('in 7d');
    expect(relativeTime(at(300), now)).toBe('now');
  });

  it('gives back what it cannot read', () => {
    expect(relativeTime('soon', now)).toBe('soon');
  });
});

describe('formatElapsed', () => {
  it('is precise while short and coarse when long', () => {
    expect(formatElapsed(850)).toBe('850ms');
    expect(formatElapsed(1_249)).toBe('1.2s');
    expect(formatElapsed(125_000)).toBe('2m 05s');
    expect(formatElapsed(3_720_000)).toBe('1h 02m');
    expect(formatElapsed(-1)).toBe('?');
  });

  it('measures between two stamps only when both are there', () => {
    expect(elapsedBetween('2026-01-01T12:00:00.000Z', '2026-01-01T12:00:01.200Z')).toBe('1.2s');
    expect(elapsedBetween('2026-01-01T12:00:00.000Z', undefined)).toBeUndefined();
  });
});
