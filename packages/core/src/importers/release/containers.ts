import type { EnvironmentVariables } from './env-vars.ts';
import type { InitContainerInput, PortInput, SidecarInput } from './manifest-input.ts';
import { toDnsLabel } from './names.ts';
import { convertPorts } from './ports.ts';
import { joinCommand } from './commands.ts';
import { commandOf, describe, flag, isRawMap, listAt, scalarText, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

interface ContainerContext {
  service: string;
  /** The service's Release image: an init container naming it runs in the service's own image. */
  serviceImage?: string;
  env: EnvironmentVariables;
  /** Names already used by the service's init containers and sidecars. */
  names: Set<string>;
}

const initKeys = new Set(['name', 'image', 'command', 'args', 'has_repo', 'envs', 'volumes']);
const sidecarKeys = new Set(['name', 'image', 'command', 'args', 'has_repo', 'envs', 'ports', 'volumes']);

/** Release `init` containers: each must finish before the service starts, as in Slipway. */
export function convertInitContainers(src: SourceFile, raw: unknown, path: Path, ctx: ContainerContext): InitContainerInput[] {
  const out: InitContainerInput[] = [];
  listAt(src, raw, path, 'init containers').forEach((item, i) => {
    const at: Path = [...path, i];
    const name = containerName(src, item, at, ctx, 'init container');
    if (!name || !isRawMap(item)) return;
    // Slipway init containers have no separate args: Kubernetes appends them to the command anyway.
    const command = joinCommand(commandOf(item.command), commandOf(item.args));
    if (!command) {
      src.warn(at, `init container "${name}" has no command; Slipway needs one, so it is dropped`);
      return;
    }
    const container: InitContainerInput = { name, command };
    const image = scalarText(item.image);
    const ownImage = flag(item.has_repo) === true || image === undefined || image === ctx.serviceImage;
    if (!ownImage && image) container.image = image;
    if (image && flag(item.has_repo) === true && image !== ctx.serviceImage) {
      src.warn([...at, 'image'], `init container "${name}" uses the repository image ${image}; Slipway runs it in "${ctx.service}"'s own image`);
    }
    const env = envOf(src, item, at, ctx, `init:${ctx.service}:${name}`, `init container "${name}"`);
    if (env) container.env = env;
    if (item.volumes !== undefined) src.warn([...at, 'volumes'], `volumes of init container "${name}" have no Slipway equivalent (init containers see the service's files through its image); dropped`);
    warnUnknown(src, item, at, initKeys, 'init container');
    out.push(container);
  });
  return out;
}

/** Release sidecars: extra containers beside the service, sharing its network. */
export function convertSidecars(src: SourceFile, raw: unknown, path: Path, ctx: ContainerContext & { servicePorts: PortInput[] }): SidecarInput[] {
  const out: SidecarInput[] = [];
  listAt(src, raw, path, 'sidecars').forEach((item, i) => {
    const at: Path = [...path, i];
    const name = containerName(src, item, at, ctx, 'sidecar');
    if (!name || !isRawMap(item)) return;
    const sidecar: SidecarInput = { name };
    const image = scalarText(item.image);
    if (image && !(flag(item.has_repo) === true && image === ctx.serviceImage)) sidecar.image = image;
    const command = commandOf(item.command);
    if (command) sidecar.command = command;
    const args = commandOf(item.args);
    if (args) sidecar.args = typeof args === 'string' ? [args] : args;
    if (!sidecar.image && !sidecar.command) {
      src.warn(at, `sidecar "${name}" has neither an image of its own nor a command; dropped`);
      return;
    }
    const ports = convertPorts(src, listAt(src, item.ports, [...at, 'ports'], 'ports'), [...at, 'ports'], { name, image })
      .map((p) => p.spec)
      .filter((p) => {
        // The sidecar shares the service's network: a port both claim would be one socket.
        const clash = ctx.servicePorts.some((s) => s.port === p.port) || out.some((o) => o.ports?.some((q) => q.port === p.port));
        if (clash) src.warn([...at, 'ports'], `port ${p.port} of sidecar "${name}" is already a port of "${ctx.service}" or another sidecar; dropped from the sidecar`);
        return !clash;
      });
    if (ports.length) sidecar.ports = ports;
    const env = envOf(src, item, at, ctx, `sidecar:${ctx.service}:${name}`, `sidecar "${name}"`);
    if (env) sidecar.env = env;
    if (item.volumes !== undefined) src.warn([...at, 'volumes'], `volumes of sidecar "${name}" have no Slipway equivalent; dropped`);
    warnUnknown(src, item, at, sidecarKeys, 'sidecar');
    out.push(sidecar);
  });
  return out;
}

function containerName(src: SourceFile, item: unknown, at: Path, ctx: ContainerContext, what: string): string | undefined {
  if (!isRawMap(item)) {
    src.warn(at, `expected ${what} as a mapping, got ${describe(item)}; ignored`);
    return undefined;
  }
  const raw = scalarText(item.name);
  const base = raw ? toDnsLabel(raw) : '';
  if (!base) {
    src.warn(at, `${what} needs a name; dropped`);
    return undefined;
  }
  let name = base;
  for (let n = 2; ctx.names.has(name); n++) name = `${base}-${n}`;
  if (name !== raw) src.warn([...at, 'name'], `${what} "${raw}" is named "${name}" (lowercase DNS label, unique among the service's containers)`);
  ctx.names.add(name);
  return name;
}

function envOf(src: SourceFile, item: RawMap, at: Path, ctx: ContainerContext, scope: string, owner: string) {
  if (item.envs === undefined) return undefined;
  ctx.env.addList(scope, item.envs, src, [...at, 'envs']);
  return ctx.env.take(scope, owner);
}

function warnUnknown(src: SourceFile, item: RawMap, at: Path, known: Set<string>, what: string): void {
  for (const key of Object.keys(item)) if (!known.has(key)) src.warn([...at, key], `${what} field "${key}" has no Slipway equivalent; ignored`);
}
