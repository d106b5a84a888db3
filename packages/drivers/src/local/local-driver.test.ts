import { runtimeDriverConformance } from '../conformance/runtime-driver-conformance.ts';
import { createLocalDriver } from './local-driver.ts';

// Short backoff and grace so crash loops and stops show within the test's patience; the defaults
// (1 s doubling to 30 s, 10 s grace) are for real services.
runtimeDriverConformance('local', {
  factory: (options) => createLocalDriver({ ...options, backoff: { initialMs: 200, maxMs: 1_000 }, graceMs: 2_000, stableMs: 2_000 }),
});
