import { durationToMs } from '@slipway/contract';
import { isValidTimeZone, nextCronTime, parseCron, type CronSchedule } from './cron-schedule.ts';

// Promotion windows of a stage: each opens when its cron schedule matches (in its time zone) and stays
// open for its duration. While a deny window is open, nothing leaves the stage; when a stage has allow
// windows, a release leaves it only while one of them is open.

export interface PromotionWindow {
  type: 'allow' | 'deny';
  schedule: string;
  duration: string;
  timezone?: string;
}

export type WindowVerdict =
  | { open: true }
  /** `until` is when promotion may next happen; absent when no window ever lets it. */
  | { open: false; until?: Date; reason: string };

interface CompiledWindow {
  window: PromotionWindow;
  schedule: CronSchedule;
  durationMs: number;
  timeZone: string;
}

/** What is wrong with each window (a bad schedule, time zone or duration), for manifest checks. */
export function windowProblems(windows: PromotionWindow[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  windows.forEach((w, index) => {
    const parsed = parseCron(w.schedule);
    if (parsed.error) problems.push({ index, message: parsed.error });
    if (!isValidTimeZone(w.timezone ?? 'UTC')) problems.push({ index, message: `unknown time zone "${w.timezone}"; expected an IANA name such as Europe/Berlin or UTC` });
    let ms = 0;
    try {
      ms = durationToMs(w.duration);
    } catch {
      ms = 0;
    }
    if (!(ms > 0)) problems.push({ index, message: `duration "${w.duration}" must be longer than 0` });
  });
  return problems;
}

function compile(windows: PromotionWindow[]): CompiledWindow[] {
  const problems = windowProblems(windows);
  if (problems.length) throw new Error(`invalid promotion window: ${problems.map((p) => p.message).join('; ')}`);
  return windows.map((window) => ({ window, schedule: parseCron(window.schedule).value!, durationMs: durationToMs(window.duration), timeZone: window.timezone ?? 'UTC' }));
}

/** Stops chaining back-to-back openings (a window that is open all the time). */
const MAX_CHAIN = 10_000;

/**
 * When the window is open at `at`: the end of the stretch it stays open without a break (openings
 * that overlap or touch run together). Undefined when closed; Infinity when it never closes.
 */
function openUntil(w: CompiledWindow, at: number): number | undefined {
  // Open at `at` when it opened in (at - duration, at].
  const opened = nextCronTime(w.schedule, new Date(at - w.durationMs + 1), w.timeZone);
  if (!opened || opened.getTime() > at) return undefined;
  let end = opened.getTime() + w.durationMs;
  let last = opened.getTime();
  for (let i = 0; i < MAX_CHAIN; i++) {
    const again = nextCronTime(w.schedule, new Date(last + 60_000), w.timeZone);
    if (!again || again.getTime() > end) return end;
    last = again.getTime();
    end = Math.max(end, last + w.durationMs);
  }
  return Infinity;
}

function describe(w: PromotionWindow): string {
  return `${w.type} window "${w.schedule}" for ${w.duration} (${w.timezone ?? 'UTC'})`;
}

/** Whether a release may leave the stage at `now`, and if not, from when it may. */
export function windowVerdict(windows: PromotionWindow[], now: Date): WindowVerdict {
  if (windows.length === 0) return { open: true };
  const compiled = compile(windows);
  const denies = compiled.filter((w) => w.window.type === 'deny');
  const allows = compiled.filter((w) => w.window.type === 'allow');
  let t = now.getTime();
  let reason: string | undefined;
  for (let i = 0; i < 100; i++) {
    let denyEnd: number | undefined;
    let denying: CompiledWindow | undefined;
    for (const w of denies) {
      const end = openUntil(w, t);
      if (end !== undefined && (denyEnd === undefined || end > denyEnd)) {
        denyEnd = end;
        denying = w;
      }
    }
    if (denyEnd !== undefined) {
      reason ??= `inside the ${describe(denying!.window)}`;
      if (denyEnd === Infinity) return { open: false, reason };
      t = denyEnd;
      continue;
    }
    if (allows.length && !allows.some((w) => openUntil(w, t) !== undefined)) {
      reason ??= `outside every allow window (${allows.map((w) => `"${w.window.schedule}" for ${w.window.duration}`).join(', ')})`;
      const opens = allows.map((w) => nextCronTime(w.schedule, new Date(t), w.timeZone)?.getTime()).filter((x): x is number => x !== undefined);
      if (opens.length === 0) return { open: false, reason };
      t = Math.min(...opens);
      continue;
    }
    break;
  }
  if (t === now.getTime()) return { open: true };
  return { open: false, until: new Date(t), reason: reason! };
}
