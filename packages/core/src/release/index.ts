export * from './approvals.ts';
export * from './decisions.ts';
export { parseCron, nextCronTime, isValidTimeZone, type CronSchedule } from './cron-schedule.ts';
export * from './next-step.ts';
export * from './promotion-windows.ts';
export * from './release-states.ts';
export * from './snapshots.ts';
export * from './stage-gates.ts';
export * from './managed-releases.ts';
