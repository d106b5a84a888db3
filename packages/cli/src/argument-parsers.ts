import { InvalidArgumentError, Option } from 'commander';
import { dnsLabel as dnsLabelSchema, durationPattern } from '@slipway/contract';

// Commander argument parsers: a bad value stops the command before it runs, with exit code 2 and
// what would be right.

export function dnsLabel(value: string): string {
  if (!dnsLabelSchema.safeParse(value).success) throw new InvalidArgumentError('expected a lowercase name of letters, digits and "-", such as pr-42');
  return value;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number from 1 to 65535');
  return n;
}

export function duration(value: string): string {
  if (!durationPattern.test(value)) throw new InvalidArgumentError('expected a duration: a number and a unit (ms, s, m, h, d), such as 30s, 10m, 24h or 7d');
  return value;
}

export function commitSha(value: string): string {
  if (!/^[0-9a-f]{4,40}$/.test(value)) throw new InvalidArgumentError('expected a commit sha: 4 to 40 lowercase hex digits, such as 0123abc');
  return value;
}

export function lineCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 100_000) throw new InvalidArgumentError('expected a number of lines from 0 to 100000');
  return n;
}

/** For options given several times (`--var A=1 --var B=2`): collects every value in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--limit` of a list command: how many rows at most (the CLI pages through the API for them). */
export function listLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a number of rows, 1 or more');
  return n;
}

/** The `--limit` option of every list command. */
export const limitOption = () => new Option('--limit <n>', 'show at most n rows (default: every row; the CLI reads the list 1000 rows per request)').argParser(listLimit);
