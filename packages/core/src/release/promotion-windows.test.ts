import { describe, expect, it } from 'vitest';
import { windowProblems, windowVerdict, type PromotionWindow } from './promotion-windows.ts';

const at = (iso: string) => new Date(iso);
// The seed's freeze: from Friday 17:00 for 64 hours (to Monday 09:00), Berlin time.
const weekendFreeze: PromotionWindow = { type: 'deny', schedule: '0 17 * * 5', duration: '64h', timezone: 'Europe/Berlin' };
// Office hours: weekdays 09:00–17:00 UTC.
const officeHours: PromotionWindow = { type: 'allow', schedule: '0 9 * * 1-5', duration: '8h' };

describe('promotion windows', () => {
  it('is open without windows', () => {
    expect(windowVerdict([], at('2026-03-06T20:00:00Z'))).toEqual({ open: true });
  });

  it('blocks inside a deny window until it closes', () => {
    // Friday 2026-03-06 17:00 CET = 16:00 UTC; + 64h = Monday 08:00 UTC.
    expect(windowVerdict([weekendFreeze], at('2026-03-06T15:59:00Z'))).toEqual({ open: true });
    const verdict = windowVerdict([weekendFreeze], at('2026-03-07T12:00:00Z'));
    expect(verdict).toMatchObject({ open: false, until: at('2026-03-09T08:00:00Z') });
    expect(verdict.open === false && verdict.reason).toMatch(/inside the deny window "0 17 \* \* 5" for 64h \(Europe\/Berlin\)/);
    expect(windowVerdict([weekendFreeze], at('2026-03-09T08:00:00Z'))).toEqual({ open: true });
  });

  it('opens at the start of a window and closes at its end (half-open)', () => {
    const deny: PromotionWindow = { type: 'deny', schedule: '0 12 * * *', duration: '1h' };
    expect(windowVerdict([deny], at('2026-03-02T11:59:59Z')).open).toBe(true);
    expect(windowVerdict([deny], at('2026-03-02T12:00:00Z'))).toMatchObject({ open: false, until: at('2026-03-02T13:00:00Z') });
    expect(windowVerdict([deny], at('2026-03-02T12:59:59.999Z')).open).toBe(false);
    expect(windowVerdict([deny], at('2026-03-02T13:00:00Z')).open).toBe(true);
  });

  it('with allow windows, is open only inside one, else blocked until the next opens', () => {
    expect(windowVerdict([officeHours], at('2026-03-02T10:00:00Z'))).toEqual({ open: true });
    const evening = windowVerdict([officeHours], at('2026-03-02T18:00:00Z'));
    expect(evening).toMatchObject({ open: false, until: at('2026-03-03T09:00:00Z') });
    expect(evening.open === false && evening.reason).toMatch(/outside every allow window/);
    // Saturday: the next opening is Monday.
    expect(windowVerdict([officeHours], at('2026-03-07T10:00:00Z'))).toMatchObject({ open: false, until: at('2026-03-09T09:00:00Z') });
  });

  it('lets a deny window win over an allow window, and finds the first time both agree', () => {
    const lunch: PromotionWindow = { type: 'deny', schedule: '0 12 * * *', duration: '1h' };
    expect(windowVerdict([officeHours, lunch], at('2026-03-02T12:30:00Z'))).toMatchObject({ open: false, until: at('2026-03-02T13:00:00Z') });
    // A deny window running past the end of office hours: blocked until the next office day.
    const lateFreeze: PromotionWindow = { type: 'deny', schedule: '0 16 * * *', duration: '2h' };
    expect(windowVerdict([officeHours, lateFreeze], at('2026-03-02T16:30:00Z'))).toMatchObject({ open: false, until: at('2026-03-03T09:00:00Z') });
  });

  it('runs overlapping openings of one window together', () => {
    // Opens every hour for 90 minutes: once inside, it never closes until the schedule stops (at 18:00 the last opening).
    const deny: PromotionWindow = { type: 'deny', schedule: '0 8-18 * * *', duration: '90m' };
    expect(windowVerdict([deny], at('2026-03-02T09:10:00Z'))).toMatchObject({ open: false, until: at('2026-03-02T19:30:00Z') });
  });

  it('says a deny window that never closes never opens', () => {
    const always: PromotionWindow = { type: 'deny', schedule: '* * * * *', duration: '5m' };
    const verdict = windowVerdict([always], at('2026-03-02T09:10:00Z'));
    expect(verdict.open).toBe(false);
    expect('until' in verdict && verdict.until).toBeFalsy();
  });

  it('says an allow window that never opens never opens', () => {
    const never: PromotionWindow = { type: 'allow', schedule: '0 0 30 2 *', duration: '1h' };
    const verdict = windowVerdict([never], at('2026-03-02T09:10:00Z'));
    expect(verdict).toMatchObject({ open: false });
    expect('until' in verdict && verdict.until).toBeFalsy();
  });

  it('names what is wrong with a window', () => {
    expect(windowProblems([weekendFreeze, officeHours])).toEqual([]);
    expect(windowProblems([{ type: 'deny', schedule: '0 25 * * *', duration: '1h' }])).toEqual([{ index: 0, message: expect.stringMatching(/hour 25 is out of range/) }]);
    expect(windowProblems([{ type: 'deny', schedule: '0 1 * * *', duration: '1h', timezone: 'Mars/Base' }])).toEqual([{ index: 0, message: expect.stringMatching(/unknown time zone "Mars\/Base"/) }]);
    expect(windowProblems([{ type: 'deny', schedule: '0 1 * * *', duration: '0s' }])).toEqual([{ index: 0, message: expect.stringMatching(/duration "0s" must be longer than 0/) }]);
    expect(() => windowVerdict([{ type: 'deny', schedule: 'x', duration: '1h' }], new Date())).toThrow(/invalid promotion window/);
  });
});
