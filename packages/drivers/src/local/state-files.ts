// The driver's durable records, one JSON file per environment (and per job run), written atomically
// by shared/state-folder.ts. Secrets are never written: specs keep secret references only.
import type { ResolvedService } from '@slipway/contract';
import type { EnvironmentRef, ExitInfo } from '@slipway/core';
import type { JobRecord } from '../shared/job-records.ts';
import type { ProcessIdentity } from '../shared/process-group.ts';
import type { Endpoint } from '../shared/supervision.ts';

export interface ProcessRecord extends ProcessIdentity {
  startedAt: string;
}

export type { Endpoint };

export interface InstanceRecord {
  replica: number;
  endpoints: Endpoint[];
  sidecarEndpoints: Record<string, Endpoint[]>;
  main?: ProcessRecord;
  sidecars: Record<string, ProcessRecord>;
  restarts: number;
  lastExit?: ExitInfo;
}

export interface ServiceRecord {
  spec: ResolvedService;
  commit: string;
  specHash: string;
  staticRoot?: string;
  instances: InstanceRecord[];
}

export interface EnvironmentRecord {
  env: EnvironmentRef;
  services: Record<string, ServiceRecord>;
  /** Paused: instances stay stopped, ports and checkouts kept, until a resume or an apply. */
  paused?: boolean;
}

/** A job run's record: the process while it runs (a later driver waits for it), then its result. */
export type LocalJobRecord = JobRecord<ProcessRecord>;
