// The driver's durable records, one JSON file per environment (and per job run), written atomically
// (temporary file, then rename) so a SIGKILL never leaves half a record. Secrets are never written:
// specs keep secret references only.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedService } from '@slipway/contract';
import type { EnvironmentRef, ExitInfo, JobResult } from '@slipway/core';
import type { ProcessIdentity } from './process-group.ts';

export interface ProcessRecord extends ProcessIdentity {
  startedAt: string;
}

export interface Endpoint {
  port: number;
  hostPort: number;
}

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
}

export interface JobRecord {
  env: EnvironmentRef;
  runId: string;
  job: string;
  status: 'running' | 'done';
  process?: ProcessRecord;
  deadline?: number;
  result?: JobResult;
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(value, null, 2));
  renameSync(temporary, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function listJson(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function remove(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
