import type { RouteRuleInput } from './manifest-input.ts';
import type { NameRegistry } from './names.ts';
import type { ConvertedPort } from './ports.ts';
import { describe, isRawMap, listAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** Variables a Slipway hostname template may use; Release's ${env_id} and ${domain} are among them. */
const slipwayVariables = new Set(['env_id', 'domain', 'service']);

/**
 * A Release hostname template as a Slipway one. Release templates often end in "-${domain}" (the
 * domain's parent then holds the host); under Slipway every host sits below the base domain, so
 * that dash becomes a dot. Variables Slipway does not render are taken out.
 */
export function convertHostname(src: SourceFile, raw: unknown, path: Path, appName: string): string | undefined {
  const text = scalarText(raw);
  if (text === undefined || text.trim() === '') {
    src.warn(path, `expected a hostname template, got ${describe(raw)}; ignored`);
    return undefined;
  }
  let host = text.trim().replace(/\$\{\s*([^}]*?)\s*\}/g, (_m, name: string) => {
    if (slipwayVariables.has(name)) return `\${${name}}`;
    if (name === 'app' || name === 'app_name') return appName;
    if (name === 'service_name') return '${service}';
    src.warn(path, `hostname ${JSON.stringify(text)} uses \${${name}}, which Slipway does not render in hostnames (only \${env_id}, \${domain} and \${service}); it is taken out`);
    return '';
  });
  if (/-\$\{domain\}$/.test(host)) {
    host = host.replace(/-\$\{domain\}$/, '.${domain}');
    src.warn(path, `hostname ${JSON.stringify(text)} ends in "-\${domain}"; Slipway hosts sit below the base domain, so it is written ${JSON.stringify(host)}`);
  }
  const cleaned = host
    .toLowerCase()
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-\./g, '.')
    .replace(/\.-/g, '.')
    .replace(/^[.-]+|[.-]+$/g, '');
  const literal = cleaned.replace(/\$\{[^}]*\}/g, 'x');
  if (cleaned === '' || !/^[a-z0-9.-]+$/.test(literal)) {
    src.warn(path, `hostname ${JSON.stringify(text)} is not a valid host name once converted; it is dropped`);
    return undefined;
  }
  return cleaned;
}

export interface ServiceHostnames {
  templates: string[];
  path: Path;
}

/** Release's `hostnames`: a list of { service: template } (or one mapping of them), by Slipway service name. */
export function readHostnames(src: SourceFile, raw: unknown, path: Path, registry: NameRegistry, appName: string): Map<string, ServiceHostnames> {
  const out = new Map<string, ServiceHostnames>();
  const pairs: [string, unknown, Path][] = [];
  if (isRawMap(raw)) for (const [k, v] of Object.entries(raw)) pairs.push([k, v, [...path, k]]);
  else {
    listAt(src, raw, path, 'hostnames').forEach((item, i) => {
      if (!isRawMap(item)) src.warn([...path, i], `expected { service: hostname template }, got ${describe(item)}; ignored`);
      else for (const [k, v] of Object.entries(item)) pairs.push([k, v, [...path, i, k]]);
    });
  }
  for (const [release, template, at] of pairs) {
    const service = registry.resolve('service', release);
    if (!service) {
      src.warn(at, `hostname for "${release}", which is not a service of this template${registry.hint('service', release)}; dropped`);
      continue;
    }
    const host = convertHostname(src, template, at, appName);
    if (host === undefined) continue;
    const entry = out.get(service) ?? { templates: [], path: at };
    if (!entry.templates.includes(host)) entry.templates.push(host);
    out.set(service, entry);
  }
  return out;
}

/** What routing needs to know about a converted service. */
export interface RoutableService {
  ports: ConvertedPort[];
  isStatic: boolean;
}

/** Release's `rules` (hostnames + path → service) as Slipway routing rules. */
export function convertRules(
  src: SourceFile,
  raw: unknown,
  path: Path,
  ctx: { registry: NameRegistry; services: Map<string, RoutableService>; appName: string },
): RouteRuleInput[] {
  const out: RouteRuleInput[] = [];
  const routed = new Set<string>();
  listAt(src, raw, path, 'rules').forEach((item, i) => {
    const at: Path = [...path, i];
    if (!isRawMap(item)) {
      src.warn(at, `expected a rule as { service, hostnames, path }, got ${describe(item)}; ignored`);
      return;
    }
    const release = scalarText(item.service);
    const service = release === undefined ? undefined : ctx.registry.resolve('service', release);
    const target = service === undefined ? undefined : ctx.services.get(service);
    if (!release || !service || !target) {
      src.warn([...at, 'service'], `rule for ${release ? `"${release}", which is not a service of this template${ctx.registry.hint('service', release)}` : 'no service'}; dropped`);
      return;
    }
    if (!target.isStatic && !target.ports.some((p) => (p.spec.protocol ?? 'http') === 'http')) {
      src.warn(at, `rule routes to "${service}", which has no http port; dropped`);
      return;
    }
    let rulePath = scalarText(item.path) ?? '/';
    if (!rulePath.startsWith('/')) rulePath = `/${rulePath}`;
    const rawHosts = Array.isArray(item.hostnames) ? item.hostnames : item.hostnames === undefined ? [] : [item.hostnames];
    const hostnames: string[] = [];
    rawHosts.forEach((h, k) => {
      const host = convertHostname(src, h, [...at, 'hostnames', k], ctx.appName);
      if (host === undefined) return;
      const key = `${host} ${rulePath}`;
      if (routed.has(key)) src.warn([...at, 'hostnames', k], `${host}${rulePath} is already routed by an earlier rule; dropped here`);
      else if (!hostnames.includes(host)) {
        routed.add(key);
        hostnames.push(host);
      }
    });
    if (hostnames.length === 0) {
      src.warn(at, 'rule has no usable hostnames; dropped');
      return;
    }
    const rule: RouteRuleInput = { hostnames, service };
    if (rulePath !== '/') rule.path = rulePath;
    const port = item.port === undefined ? undefined : rulePort(src, item.port, [...at, 'port'], service, target);
    if (port !== undefined) rule.port = port;
    for (const key of Object.keys(item)) {
      if (!['service', 'hostnames', 'path', 'port'].includes(key)) src.warn([...at, key], `rule field "${key}" has no Slipway equivalent; ignored`);
    }
    out.push(rule);
  });
  return out;
}

/** A rule names Release's service port; Slipway routes to the container port behind it. */
function rulePort(src: SourceFile, raw: unknown, path: Path, service: string, target: RoutableService): number | undefined {
  const match = target.ports.find((p) => p.servicePort === Number(raw)) ?? target.ports.find((p) => p.spec.port === Number(raw));
  if (!match) {
    src.warn(path, `service "${service}" has no port ${describe(raw)}; the rule routes to its first http port`);
    return undefined;
  }
  return match.spec.port;
}
