// The drivers package: runtime drivers (one folder each) and the conformance suite they all pass.
export { createLocalDriver, LocalDriver, type LocalDriverOptions } from './local/local-driver.ts';
