import type { ApplicationSpec, ServiceSpec, WorkflowSpec } from '@slipway/contract';
import { didYouMean } from '../manifest/did-you-mean.ts';
import type { DocumentIssue } from '../manifest/zod-issues.ts';
import { parseTemplate, referencedVariables } from '../template/interpolate.ts';
import { dependencyGraph, findCycles, normalizeDependency } from './dependency-graph.ts';
import { builtinVariableNames } from './builtin-variables.ts';
import { checkDatasets, datasetVariables, templateDatasets } from './datasets.ts';

/** Variables a hostname template may use. */
export const hostnameVariables = ['env_id', 'domain', 'service'] as const;

type Path = (string | number)[];

/**
 * Checks of an Application's meaning beyond its shape: names that must exist or be unique,
 * dependency cycles, workflows that cannot run, hostnames that cannot be rendered.
 */
export function checkApplication(spec: ApplicationSpec, appName: string): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const error = (path: Path, message: string, basis?: Path[]) =>
    issues.push({ severity: 'error', path: ['spec', ...path], message, ...(basis ? { basis: basis.map((b) => ['spec', ...b]) } : {}) });
  const warn = (path: Path, message: string) => issues.push({ severity: 'warning', path: ['spec', ...path], message });

  // Names: services, jobs and cron jobs share one namespace, because dependsOn names either.
  const owners = new Map<string, string>();
  const units: [string, { name: string }[]][] = [
    ['services', spec.services],
    ['jobs', spec.jobs],
    ['cronJobs', spec.cronJobs],
  ];
  for (const [list, items] of units) {
    items.forEach((item, i) => {
      const first = owners.get(item.name);
      if (first) error([list, i, 'name'], `duplicate name "${item.name}": ${first} already uses it; names of services and jobs must be unique`);
      else owners.set(item.name, `${list}[${i}]`);
    });
  }
  const services = new Map(spec.services.map((s) => [s.name, s]));
  const jobs = new Map(spec.jobs.map((j) => [j.name, j]));
  const cronJobs = new Set(spec.cronJobs.map((j) => j.name));
  const runnable = [...services.keys(), ...jobs.keys()];

  // dependsOn
  const checkDependsOn = (list: 'services' | 'jobs', i: number, deps: ApplicationSpec['services'][number]['dependsOn']) => {
    deps.forEach((raw, d) => {
      const dep = normalizeDependency(raw);
      const path: Path = [list, i, 'dependsOn', d];
      if (cronJobs.has(dep.name)) error(path, `"${dep.name}" is a cron job; nothing can depend on it`);
      else if (!services.has(dep.name) && !jobs.has(dep.name)) {
        error(path, `depends on "${dep.name}", which is not a service or job of this application${didYouMean(dep.name, runnable)}`);
      } else if (jobs.has(dep.name) && dep.condition !== 'completed') {
        warn(path, `"${dep.name}" is a job, which has no readiness; write { name: ${dep.name}, condition: completed }`);
      }
    });
  };
  spec.services.forEach((s, i) => checkDependsOn('services', i, s.dependsOn));
  spec.jobs.forEach((j, i) => checkDependsOn('jobs', i, j.dependsOn));
  for (const cycle of findCycles(dependencyGraph(spec))) {
    const first = cycle[0]!;
    const list = services.has(first) ? 'services' : 'jobs';
    const index = (list === 'services' ? spec.services : spec.jobs).findIndex((u) => u.name === first);
    const depIndex = (list === 'services' ? spec.services : spec.jobs)[index]!.dependsOn.findIndex((d) => normalizeDependency(d).name === cycle[1]);
    error([list, index, 'dependsOn', depIndex], `dependency cycle: ${cycle.join(' → ')}; remove one of these dependsOn entries`);
  }

  spec.services.forEach((service, i) => checkService(service, i, spec, error, warn));

  [...spec.jobs.map((j, i) => ['jobs', j, i] as const), ...spec.cronJobs.map((j, i) => ['cronJobs', j, i] as const)].forEach(([list, job, i]) => {
    if (job.fromService === undefined) return;
    const from = services.get(job.fromService);
    if (!from) error([list, i, 'fromService'], `"${job.fromService}" is not a service of this application${didYouMean(job.fromService, services.keys())}`);
    else if (from.static) error([list, i, 'fromService'], `"${job.fromService}" is a static site; a job runs in a service with image, build or run`);
  });

  // Workflows
  for (const name of ['setup', 'patch', 'teardown'] as const) {
    const workflow = spec.workflows[name];
    if (workflow) checkWorkflow(name, workflow, services, jobs, cronJobs, error, warn);
  }

  // Routing
  spec.routing.rules.forEach((rule, r) => {
    const service = services.get(rule.service);
    if (!service) {
      error(['routing', 'rules', r, 'service'], `"${rule.service}" is not a service of this application${didYouMean(rule.service, services.keys())}`);
    } else {
      const ports: Path[] = [['services', spec.services.indexOf(service), 'ports']];
      if (rule.port !== undefined && !service.ports.some((p) => p.port === rule.port)) {
        error(['routing', 'rules', r, 'port'], `service "${rule.service}" has no port ${rule.port}; its ports: ${portList(service)}`, ports);
      } else if (!service.static && !service.ports.some((p) => p.protocol === 'http')) {
        error(['routing', 'rules', r, 'service'], `service "${rule.service}" has no http port to route to`, ports);
      }
    }
    rule.hostnames.forEach((h, k) => checkHostname(h, ['routing', 'rules', r, 'hostnames', k], error));
  });
  const routed = new Map<string, Path>();
  spec.routing.rules.forEach((rule, r) =>
    rule.hostnames.forEach((h, k) => {
      const key = `${h} ${rule.path}`;
      if (routed.has(key)) error(['routing', 'rules', r, 'hostnames', k], `${h}${rule.path} is already routed by an earlier rule`);
      else routed.set(key, ['routing', 'rules', r]);
    }),
  );

  checkVariables(spec, error, warn);
  checkDatasets(spec, error, warn);

  // Environment templates
  const templates = new Set<string>();
  spec.environmentTemplates.forEach((template, t) => {
    const path: Path = ['environmentTemplates', t];
    if (templates.has(template.name)) error([...path, 'name'], `duplicate environment template "${template.name}"`);
    templates.add(template.name);
    if (template.ttl !== undefined && template.name !== 'ephemeral') {
      error([...path, 'ttl'], `ttl applies to ephemeral environments only; template "${template.name}" is permanent`);
    }
    template.services?.forEach((o, k) => {
      if (!services.has(o.name)) error([...path, 'services', k, 'name'], `"${o.name}" is not a service of this application${didYouMean(o.name, services.keys())}`);
    });
    template.jobs?.forEach((o, k) => {
      if (!jobs.has(o.name)) error([...path, 'jobs', k, 'name'], `"${o.name}" is not a job of this application${didYouMean(o.name, jobs.keys())}`);
    });
    for (const name of ['setup', 'patch', 'teardown'] as const) {
      const workflow = template.workflows?.[name];
      if (workflow) checkWorkflow(name, workflow, services, jobs, cronJobs, (p, m) => error([...path, ...p], m), (p, m) => warn([...path, ...p], m));
    }
  });

  // App imports
  const imported = new Set<string>();
  spec.appImports.forEach((imp, k) => {
    if (imp.app === appName) error(['appImports', k, 'app'], 'an application cannot import itself');
    if (imported.has(imp.app)) error(['appImports', k, 'app'], `"${imp.app}" is imported twice`);
    imported.add(imp.app);
  });

  if (spec.runtime === 'local') {
    spec.services.forEach((s, i) => {
      if (!s.run && !s.static) {
        error(['services', i], `service "${s.name}" has no run command or static site, and the local runtime runs processes; add run, or set spec.runtime: docker`);
      }
    });
  }
  return issues;
}

type Report = (path: Path, message: string, basis?: Path[]) => void;

function checkService(service: ServiceSpec, i: number, spec: ApplicationSpec, error: Report, warn: Report): void {
  const path: Path = ['services', i];
  const ports: Path[] = [[...path, 'ports']];
  const seenPorts = new Map<number, string>();
  const addPort = (port: number, where: Path, owner: string) => {
    const first = seenPorts.get(port);
    if (first) error(where, `port ${port} is already used by ${first}; processes of one service share its network, so each port must be distinct`);
    else seenPorts.set(port, owner);
  };
  service.ports.forEach((p, k) => addPort(p.port, [...path, 'ports', k, 'port'], `service "${service.name}"`));
  service.sidecars.forEach((sidecar, s) =>
    sidecar.ports?.forEach((p, k) => addPort(p.port, [...path, 'sidecars', s, 'ports', k, 'port'], `sidecar "${sidecar.name}"`)),
  );
  const names = new Set<string>();
  [...service.initContainers.map((c, k) => ['initContainers', c.name, k] as const), ...service.sidecars.map((c, k) => ['sidecars', c.name, k] as const)].forEach(
    ([list, name, k]) => {
      if (names.has(name)) error([...path, list, k, 'name'], `duplicate name "${name}" among the init containers and sidecars of "${service.name}"`);
      names.add(name);
    },
  );
  service.sidecars.forEach((sidecar, s) => {
    if (!sidecar.image && !sidecar.command) error([...path, 'sidecars', s], 'a sidecar needs an image or a command');
  });
  const mounts = new Set<string>();
  const volumeNames = new Set<string>();
  service.volumes.forEach((v, k) => {
    if (volumeNames.has(v.name)) error([...path, 'volumes', k, 'name'], `duplicate volume "${v.name}" in service "${service.name}"`);
    if (mounts.has(v.mountPath)) error([...path, 'volumes', k, 'mountPath'], `two volumes are mounted at ${v.mountPath}`);
    volumeNames.add(v.name);
    mounts.add(v.mountPath);
  });
  for (const kind of ['readiness', 'liveness'] as const) {
    const probe = service[kind];
    const port = probe?.http?.port ?? probe?.tcp?.port;
    if (probe && (probe.http || probe.tcp) && service.ports.length === 0 && port === undefined) {
      error([...path, kind], `an ${probe.http ? 'http' : 'tcp'} probe needs a port, and service "${service.name}" has none`, ports);
    } else if (port !== undefined && !service.ports.some((p) => p.port === port)) {
      error([...path, kind, probe?.http ? 'http' : 'tcp', 'port'], `service "${service.name}" has no port ${port}; its ports: ${portList(service)}`, ports);
    }
  }
  if (service.static && service.ports.length > 0) warn([...path, 'ports'], 'a static site is served by the router; its ports are ignored');
  if (service.hostnames?.length) {
    if (!service.static && !service.ports.some((p) => p.protocol === 'http')) {
      error([...path, 'hostnames'], `service "${service.name}" has hostnames but no http port to route them to`, ports);
    }
    service.hostnames.forEach((h, k) => checkHostname(h, [...path, 'hostnames', k], error));
  }
  if (spec.runtime !== undefined && spec.runtime !== 'local' && service.run && !service.image && !service.build) {
    error(path, `service "${service.name}" has only a run command, which needs the local runtime; add image or build for ${spec.runtime}`);
  }
}

function checkWorkflow(
  name: 'setup' | 'patch' | 'teardown',
  workflow: WorkflowSpec,
  services: Map<string, ServiceSpec>,
  jobs: Map<string, unknown>,
  cronJobs: Set<string>,
  error: Report,
  warn: Report,
): void {
  const base: Path = ['workflows', name, 'steps'];
  const seen = new Set<string>();
  let removeStep = -1;
  workflow.steps.forEach((step, s) => {
    step.tasks.forEach((task, t) => {
      const path: Path = [...base, s, 'tasks', t];
      if (seen.has(task)) warn(path, `task ${task} runs twice in the ${name} workflow`);
      seen.add(task);
      const [kind, target] = task.split('.') as [string, string];
      if (task === 'environment.remove') {
        if (name !== 'teardown') error(path, `environment.remove belongs in the teardown workflow, not ${name}`);
        removeStep = s;
      } else if (kind === 'services') {
        if (name === 'teardown') error(path, `teardown stops every service itself; a teardown task cannot start ${task}`);
        else if (target !== 'all' && !services.has(target)) {
          error(path, `${task} names no service of this application${jobs.has(target) ? `; "${target}" is a job: jobs.${target}` : didYouMean(target, services.keys())}`);
        }
      } else if (kind === 'jobs') {
        if (cronJobs.has(target)) error(path, `"${target}" is a cron job, which runs on its schedule; a workflow can only run jobs`);
        else if (!jobs.has(target)) {
          error(path, `${task} names no job of this application${services.has(target) ? `; "${target}" is a service: services.${target}` : didYouMean(target, jobs.keys())}`);
        }
      }
    });
  });
  if (name !== 'teardown') return;
  if (removeStep < 0) {
    error(['workflows', 'teardown'], 'the teardown workflow never removes the environment: end it with a step whose tasks are [environment.remove]');
    return;
  }
  if (removeStep !== workflow.steps.length - 1) {
    error([...base, removeStep], 'environment.remove must be in the last step of teardown; the steps after it could not run');
  }
  workflow.steps.slice(0, removeStep).forEach((step, s) => {
    if (step.haltOnError === true) {
      error([...base, s, 'haltOnError'], 'a failing task here would stop teardown before environment.remove and leave the environment running; use haltOnError: false');
    }
  });
}

function checkHostname(template: string, path: Path, error: Report): void {
  const parsed = parseTemplate(template);
  for (const message of parsed.errors) error(path, `hostname ${JSON.stringify(template)}: ${message}`);
  for (const { name } of referencedVariables(parsed.parts)) {
    if (!(hostnameVariables as readonly string[]).includes(name)) {
      error(path, `unknown variable \${${name}} in hostname ${JSON.stringify(template)}${didYouMean(name, hostnameVariables)}; hostnames may use \${env_id}, \${domain} and \${service}`);
    }
  }
  const literal = template.replace(/\$\{[^}]*\}/g, 'x');
  if (!/^[a-z0-9.-]+$/i.test(literal) || literal.startsWith('.') || literal.endsWith('.') || literal.includes('..')) {
    error(path, `hostname ${JSON.stringify(template)} is not a valid host name: use letters, digits, "-" and "." between labels`);
  }
}

/** Mapping templates must parse, and should read variables that exist somewhere. */
function checkVariables(spec: ApplicationSpec, error: Report, warn: Report): void {
  const known = new Set<string>(builtinVariableNames(spec.services.map((s) => s.name)));
  for (const key of Object.keys(spec.env.defaults ?? {})) known.add(key);
  for (const s of spec.services) for (const key of Object.keys(s.env ?? {})) known.add(key);
  for (const j of [...spec.jobs, ...spec.cronJobs]) for (const key of Object.keys(j.env ?? {})) known.add(key);
  for (const key of Object.keys(spec.env.mapping ?? {})) known.add(key);
  for (const d of [...spec.datasets, ...spec.environmentTemplates.flatMap((t) => templateDatasets(spec.datasets, t.datasets))]) for (const name of Object.values(datasetVariables(d))) known.add(name);
  for (const [key, template] of Object.entries(spec.env.mapping ?? {})) {
    const path: Path = ['env', 'mapping', key];
    const parsed = parseTemplate(template);
    for (const message of parsed.errors) error(path, message);
    for (const ref of referencedVariables(parsed.parts)) {
      if (!ref.hasFallback && !known.has(ref.name)) {
        warn(path, `\${${ref.name}} is not defined by this application or Slipway and has no fallback; it renders empty unless set per environment${didYouMean(ref.name, known)}`);
      }
    }
  }
}

function portList(service: ServiceSpec): string {
  return service.ports.length ? service.ports.map((p) => p.port).join(', ') : 'none';
}
