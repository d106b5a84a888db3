// Every driver returns an unsuccessful outcome the same way: whose fault, why, and the end of the
// relevant log when there is one.
import type { DriverProblem } from '@slipway/core';

export function problem(outcome: DriverProblem['outcome'], reason: string, tail?: string): DriverProblem {
  return { outcome, reason, ...(tail ? { logTail: tail } : {}) };
}
