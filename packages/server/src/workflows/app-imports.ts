import type { RenderedEnvironment } from '@slipway/contract';
import { importedAddresses, type EnvironmentRef, type ImportedAddress, type ImportedService, type LinkMember, type RuntimeDriver } from '@slipway/core';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import { DeployEnded, type DeployRecord } from './deploy-record.ts';
import { refOf } from './environment-ref.ts';

// App Imports: a deploy waits until every environment it imports is ready, links them through the
// runtime (one network on docker, the loopback on local) and renders its environment again with the
// imported services' direct addresses (renderWithImports), so its services, jobs and env.mapping
// read them. An import whose last deploy failed is used as it runs when it has ready instances (its
// previous version, typically: a failed patch leaves it running); one without fails the deploy,
// naming it. Imports on another runtime, or a runtime without links, keep the router URLs
// rendering gave.

export interface ImportLinks {
  store: EnvironmentStore;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  readinessTimeoutMs: number;
  /** Renders a deploy's spec again with its App Imports' addresses (the environment service's renderWithImports). */
  renderWithImports?(env: StoredEnvironment, deploy: StoredDeploy, imported: Record<string, ImportedAddress>): Promise<RenderedEnvironment>;
}

const POLL_MS = 250;

/** The deploy's spec once its imports are linked (the same object when nothing changed); throws DeployEnded when they cannot be. */
export async function linkImports(links: ImportLinks, record: DeployRecord, driver: RuntimeDriver): Promise<RenderedEnvironment> {
  const { store } = links;
  const { env, deploy } = record;
  const rendered = deploy.rendered;
  const live = async () => (await store.children(env.id)).filter((c) => c.status !== 'deleting' && c.status !== 'deleted');
  let children = await live();
  if (children.length === 0) return rendered;
  const names = (list: StoredEnvironment[]) => list.map((c) => `${c.app}/${c.envId}${c.status === 'ready' ? '' : ` (${c.status})`}`).join(', ');
  const deadline = Date.now() + links.readinessTimeoutMs;
  record.line(`▸ App Imports · waiting for ${names(children)} to be ready`);
  const usedAsTheyRun = new Set<string>();
  for (;;) {
    record.signal.throwIfAborted();
    for (const child of children.filter((c) => (c.status === 'failed' || c.status === 'errored') && !usedAsTheyRun.has(c.id))) {
      if (!(await hasReadyInstances(links, child))) {
        throw new DeployEnded('failed', `its App Import ${child.app}/${child.envId} is ${child.status}${child.reason ? `: ${child.reason}` : ''}, with no ready instance`);
      }
      usedAsTheyRun.add(child.id);
      record.line(`! App Imports · ${child.app}/${child.envId} is ${child.status}${child.reason ? ` (${child.reason})` : ''}; its ready instances are used as they run`);
    }
    if (children.every((c) => c.status === 'ready' || usedAsTheyRun.has(c.id))) break;
    if (Date.now() > deadline) throw new DeployEnded('failed', `its App Imports were not ready within ${Math.round(links.readinessTimeoutMs / 1000)} s: ${names(children.filter((c) => c.status !== 'ready'))}`);
    await pause(POLL_MS, record.signal);
    children = await live();
  }
  const imported: (ImportedService & { ref: EnvironmentRef; http: boolean })[] = [];
  const peers: LinkMember[] = [];
  for (const child of children) {
    // What it runs: its last deploy that succeeded (a failed one's may never have started).
    const deploys = (await store.listDeploys(child.id, 20)).filter((d) => d.workflow !== 'teardown');
    const spec = (deploys.find((d) => d.outcome === 'succeeded') ?? deploys.find((d) => d.source))?.rendered;
    if (!spec) continue;
    const services = spec.services.filter((s) => !s.static && s.ports.length > 0);
    for (const s of services) imported.push({ ref: refOf(child), service: s.name, http: s.ports[0]?.protocol === 'http', ...(spec.urls[s.name] ? { routerUrl: spec.urls[s.name] } : {}) });
    if (spec.runtime === rendered.runtime && services.length > 0) peers.push({ env: refOf(child), services: services.map((s) => s.name) });
  }
  if (!driver.link || peers.length === 0) {
    record.line(`✓ App Imports · ready; reached through the router (the ${rendered.runtime} runtime ${driver.link ? 'runs none of them' : 'cannot link environments'})`);
    return rendered;
  }
  const linked = await driver.link({ env: refOf(env), services: rendered.services.map((s) => s.name), peers });
  if (linked.outcome !== 'succeeded') throw new DeployEnded(linked.outcome, `linking it with its App Imports ${linked.outcome}: ${linked.reason}`);
  const found: string[] = [];
  for (const item of imported) {
    const address = linked.addresses.find((a) => a.service === item.service && a.env.envId === item.ref.envId && a.env.app === item.ref.app);
    if (!address) continue;
    item.direct = { host: address.host, port: address.port, http: item.http };
    found.push(`${item.service} at ${address.host}:${address.port}`);
  }
  record.line(`✓ App Imports · linked: ${found.join(', ') || 'no service with a port'}`);
  if (!links.renderWithImports || found.length === 0) return rendered;
  return links.renderWithImports(env, deploy, importedAddresses(imported));
}

/** Whether an environment has an instance that is ready, on the runtime of its last deploy. */
async function hasReadyInstances(links: ImportLinks, env: StoredEnvironment): Promise<boolean> {
  const last = (await links.store.listDeploys(env.id, 1))[0];
  const driver = last ? links.drivers[last.rendered.runtime] : undefined;
  if (!driver) return false;
  const instances = await driver.instances(refOf(env)).catch(() => []);
  return instances.some((i) => i.state === 'ready');
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
