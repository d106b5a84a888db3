export type * from './runtime-driver.ts';
export * from './spec-hash.ts';
export * from './ownership.ts';
export * from './process-settings.ts';
export * from './runtime-support.ts';
export * from './secret-masking.ts';
