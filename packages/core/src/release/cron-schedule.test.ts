import { describe, expect, it } from 'vitest';
import { isValidTimeZone, nextCronTime, parseCron } from './cron-schedule.ts';

const cron = (text: string) => {
  const parsed = parseCron(text);
  if (!parsed.value) throw new Error(parsed.error);
  return parsed.value;
};
const next = (text: string, from: string, tz = 'UTC') => nextCronTime(cron(text), new Date(from), tz)?.toISOString();

describe('parsing cron schedules', () => {
  it('reads lists, ranges, steps and names', () => {
    const s = cron('0,30 9-17/2 1-7 jan,JUL mon-fri');
    expect([...s.minutes]).toEqual([0, 30]);
    expect([...s.hours]).toEqual([9, 11, 13, 15, 17]);
    expect([...s.days]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...s.months]).toEqual([1, 7]);
    expect([...s.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect(s.daysRestricted && s.weekdaysRestricted).toBe(true);
  });

  it('reads */n and n/m steps, and 7 as Sunday', () => {
    expect([...cron('*/15 * * * *').minutes]).toEqual([0, 15, 30, 45]);
    expect([...cron('5/20 * * * *').minutes]).toEqual([5, 25, 45]);
    expect([...cron('0 0 * * 7').weekdays]).toEqual([0]);
    expect([...cron('0 0 * * *').weekdays]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(cron('0 0 */2 * *').daysRestricted).toBe(false);
  });

  it('names the field and the problem', () => {
    expect(parseCron('* * * *').error).toMatch(/expected five fields.*got 4/);
    expect(parseCron('60 * * * *').error).toMatch(/minute 60 is out of range 0-59/);
    expect(parseCron('* 5-2 * * *').error).toMatch(/hour "5-2": the range goes backwards/);
    expect(parseCron('* * * foo *').error).toMatch(/month "foo" is not a number or a name \(jan/);
    expect(parseCron('*/0 * * * *').error).toMatch(/step must be a whole number of at least 1/);
    expect(parseCron('* * 0 * *').error).toMatch(/day of month 0 is out of range 1-31/);
    expect(parseCron('1,,2 * * * *').error).toMatch(/minute "" is not valid/);
  });
});

describe('the next time a schedule matches', () => {
  it('finds the next matching minute at or after the time, in UTC', () => {
    expect(next('0 17 * * *', '2026-03-02T10:00:00Z')).toBe('2026-03-02T17:00:00.000Z');
    expect(next('0 17 * * *', '2026-03-02T17:00:00Z')).toBe('2026-03-02T17:00:00.000Z');
    expect(next('0 17 * * *', '2026-03-02T17:00:00.001Z')).toBe('2026-03-03T17:00:00.000Z');
    expect(next('*/10 * * * *', '2026-03-02T10:01:30Z')).toBe('2026-03-02T10:10:00.000Z');
  });

  it('skips to matching months and weekdays', () => {
    // Friday 17:00 — 2026-03-06 is a Friday.
    expect(next('0 17 * * fri', '2026-03-02T00:00:00Z')).toBe('2026-03-06T17:00:00.000Z');
    expect(next('0 0 1 dec *', '2026-03-02T00:00:00Z')).toBe('2026-12-01T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2026-03-02T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('matches either day field when both are restricted, as cron does', () => {
    // The 13th, or any Friday: after Monday 2026-03-02 comes Friday the 6th.
    expect(next('0 0 13 * 5', '2026-03-02T00:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
    // Only the day of month restricted: the 13th.
    expect(next('0 0 13 * *', '2026-03-02T00:00:00Z')).toBe('2026-03-13T00:00:00.000Z');
  });

  it('gives up on a schedule that never matches', () => {
    expect(next('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(next('0 0 31 4 *', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('reads the schedule in its time zone', () => {
    // 17:00 in Berlin is 16:00 UTC in winter (CET) and 15:00 UTC in summer (CEST).
    expect(next('0 17 * * *', '2026-01-15T00:00:00Z', 'Europe/Berlin')).toBe('2026-01-15T16:00:00.000Z');
    expect(next('0 17 * * *', '2026-07-15T00:00:00Z', 'Europe/Berlin')).toBe('2026-07-15T15:00:00.000Z');
    expect(next('30 9 * * *', '2026-07-15T00:00:00Z', 'America/New_York')).toBe('2026-07-15T13:30:00.000Z');
  });

  it('moves a time the clocks skip to just after the gap, and takes the first of a time that happens twice', () => {
    // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00): it runs at 03:30 CEST = 01:30 UTC.
    expect(next('30 2 * * *', '2026-03-29T00:00:00Z', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 2026-10-25 02:30 happens twice (CEST, then CET): the first is 00:30 UTC.
    expect(next('30 2 * * *', '2026-10-25T00:00:00Z', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
  });

  it('knows time zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
