// Five-field cron schedules (minute hour day-of-month month day-of-week) evaluated in a time zone,
// for promotion windows. Pure: time zones come from Intl, which every JavaScript runtime carries.

export interface CronSchedule {
  text: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 is read as Sunday). */
  weekdays: ReadonlySet<number>;
  /** Cron's rule: when both day fields are restricted, a day matching either one matches. */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name stands for this number (months count from 1). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAY_NAMES, nameBase: 0 },
];

/** Parses a five-field cron expression; an error says which field and why. */
export function parseCron(text: string): { value?: CronSchedule; error?: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) return { error: `"${text}" is not a cron schedule: expected five fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const parsed = parseField(parts[i]!, FIELDS[i]!);
    if (typeof parsed === 'string') return { error: `"${text}": ${FIELDS[i]!.name} ${parsed}` };
    sets.push(parsed);
  }
  const weekdays = new Set([...sets[4]!].map((d) => (d === 7 ? 0 : d)));
  return {
    value: {
      text,
      minutes: sets[0]!,
      hours: sets[1]!,
      days: sets[2]!,
      months: sets[3]!,
      weekdays,
      daysRestricted: parts[2] !== '*' && !parts[2]!.startsWith('*/'),
      weekdaysRestricted: parts[4] !== '*' && !parts[4]!.startsWith('*/'),
    },
  };
}

function parseField(text: string, spec: FieldSpec): Set<number> | string {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/');
    if (range === undefined || range === '' || item.split('/').length > 2) return `"${item}" is not valid`;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return `"${item}": the step must be a whole number of at least 1`;
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max === 7 ? 6 : spec.max;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) return `"${item}" is not valid`;
      const a = valueOf(bounds[0]!, spec);
      if (typeof a === 'string') return a;
      const b = bounds.length === 2 ? valueOf(bounds[1]!, spec) : stepText === undefined ? a : spec.max;
      if (typeof b === 'string') return b;
      if (b < a) return `"${item}": the range goes backwards`;
      from = a;
      to = b;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function valueOf(text: string, spec: FieldSpec): number | string {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d+$/.test(text)) return `"${text}" is not a number${spec.names ? ` or a name (${spec.names.join(', ')})` : ''}`;
  const n = Number(text);
  if (n < spec.min || n > spec.max) return `${n} is out of range ${spec.min}-${spec.max}`;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows an IANA time zone such as Europe/Berlin (or UTC). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of an instant in a time zone, as the epoch milliseconds of those fields read as UTC. */
function wallClockOf(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
}

/** How far the zone's wall clock is ahead of UTC at an instant (whole seconds). */
function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClockOf(whole, timeZone) - whole;
}

/**
 * The instant a wall-clock time stands for. A time that happens twice (clocks going back) is the
 * first; one that never happens (clocks going forward) is read with the offset before the change,
 * which lands just after the gap.
 */
function instantOfWallClock(wall: number, timeZone: string): number {
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const candidates = [wall - before, wall - after].filter((c) => offsetAt(c, timeZone) === wall - c).sort((a, b) => a - b);
  return candidates[0] ?? wall - before;
}

// ---------------------------------------------------------------------------------------------
// Matching

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** How far ahead a match is looked for before a schedule is called one that never matches (Feb 30). */
const HORIZON_MS = 8 * 366 * DAY;

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const dom = schedule.days.has(date.getUTCDate());
  const dow = schedule.weekdays.has(date.getUTCDay());
  if (schedule.daysRestricted && schedule.weekdaysRestricted) return dom || dow;
  if (schedule.daysRestricted) return dom;
  if (schedule.weekdaysRestricted) return dow;
  return true;
}

/**
 * The first time at or after `from` the schedule matches in the time zone (whole minutes), or
 * undefined when it never does (within eight years).
 */
export function nextCronTime(schedule: CronSchedule, from: Date, timeZone = 'UTC'): Date | undefined {
  const start = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  let wall = Math.floor(wallClockOf(start, timeZone) / MINUTE) * MINUTE;
  const end = wall + HORIZON_MS;
  while (wall <= end) {
    const d = new Date(wall);
    if (!schedule.months.has(d.getUTCMonth() + 1)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(schedule, d)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + DAY;
      continue;
    }
    if (!schedule.hours.has(d.getUTCHours())) {
      wall = Math.floor(wall / HOUR) * HOUR + HOUR;
      continue;
    }
    if (!schedule.minutes.has(d.getUTCMinutes())) {
      wall += MINUTE;
      continue;
    }
    const instant = instantOfWallClock(wall, timeZone);
    if (instant >= start) return new Date(instant);
    wall += MINUTE;
  }
  return undefined;
}
