import { afterAll, expect } from 'vitest';
import { runtimeDriverConformance } from '../conformance/runtime-driver-conformance.ts';
import { createDockerDriver } from './docker-driver.ts';
import { asImageBuild, containerRunning, testEngine } from './test-support/engine-for-tests.ts';

// The engine is looked for before the cases are collected: without one, every case shows as
// skipped with the places tried.
const engine = await testEngine();

// Short backoff and grace so crash loops and stops show within the test's patience. The state
// folder is bind-mounted at its own path, so the fixture's markers and counters written inside
// containers are seen by the test.
runtimeDriverConformance('docker', {
  factory: (options) =>
    createDockerDriver({
      ...options,
      ...(engine.docker ? { docker: engine.docker } : {}),
      backoff: { initialMs: 200, maxMs: 1_000 },
      graceMs: 2_000,
      stableMs: 2_000,
      extraMounts: [{ source: options.stateDir, target: options.stateDir }],
    }),
  adaptService: asImageBuild,
  timeScale: 2,
  portInside: 'manifest',
  hostPids: false,
  isRunning: (id) => (engine.docker ? containerRunning(engine.docker, id) : false),
  ...(engine.skipReason ? { skipAll: engine.skipReason } : {}),
});

// The suite checks for leaked processes; containers, networks and volumes are checked here: after
// every case's sweep, nothing of this run's environments (t<pid>-<n>) may be left on the engine.
afterAll(async () => {
  if (!engine.docker) return;
  const ours = (labels: Record<string, string> | null | undefined) => labels?.['dev.slipway.workspace'] === 'conformance' && (labels['dev.slipway.env'] ?? '').startsWith(`t${process.pid}-`);
  const containers = (await engine.docker.listContainers({ all: true })).filter((c) => ours(c.Labels));
  const networks = (await engine.docker.listNetworks()).filter((n) => ours(n.Labels));
  const { Volumes: volumes } = await engine.docker.listVolumes();
  expect({ containers: containers.map((c) => c.Names), networks: networks.map((n) => n.Name), volumes: (volumes ?? []).filter((v) => ours(v.Labels)).map((v) => v.Name) }).toEqual({ containers: [], networks: [], volumes: [] });
});
