import type { VolumeInput } from './manifest-input.ts';
import { toDnsLabel } from './names.ts';
import { memoryQuantity } from './quantities.ts';
import { describe, flag, isRawMap, listAt, mapAt, repoRelative, scalarText, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** A Release `shared_volumes` entry, which services mount with `claim: <name>`. */
export interface SharedVolume {
  name: string;
  size?: string;
  path: Path;
  /** Services that claim it, to say when several did. */
  claimedBy: string[];
}

export function readSharedVolumes(src: SourceFile, raw: unknown, path: Path): Map<string, SharedVolume> {
  const out = new Map<string, SharedVolume>();
  listAt(src, raw, path, 'shared_volumes').forEach((item, i) => {
    const at: Path = [...path, i];
    const name = isRawMap(item) ? scalarText(item.name) : undefined;
    if (!isRawMap(item) || !name) {
      src.warn(at, 'a shared volume needs a name; ignored');
      return;
    }
    const type = scalarText(item.type);
    if (type !== undefined && type !== 'persistent') src.warn([...at, 'type'], `shared volume type "${type}" has no Slipway equivalent; read as persistent`);
    const size = readSize(src, item.size, [...at, 'size']);
    out.set(name, { name, ...(size ? { size } : {}), path: at, claimedBy: [] });
  });
  return out;
}

/** Reports shared volumes no service mounted: nothing carries them over. */
export function reportUnclaimed(src: SourceFile, shared: Map<string, SharedVolume>): void {
  for (const volume of shared.values()) {
    if (volume.claimedBy.length === 0) src.warn(volume.path, `shared volume "${volume.name}" is not claimed by any service; dropped`);
  }
}

interface VolumeContext {
  service: string;
  shared: Map<string, SharedVolume>;
}

/**
 * The volumes of a Release service: `volumes` (persistent, empty_dir, shmem, or a claim of a shared
 * volume), `configmap` files from the repository, and the cloud `storage` that backed them.
 */
export function convertVolumes(src: SourceFile, service: RawMap, path: Path, ctx: VolumeContext): VolumeInput[] {
  const out: VolumeInput[] = [];
  const add = (volume: VolumeInput, at: Path) => {
    if (out.some((v) => v.mountPath === volume.mountPath)) {
      src.warn(at, `two volumes are mounted at ${volume.mountPath}; the second is dropped`);
      return;
    }
    let name = volume.name;
    for (let n = 2; out.some((v) => v.name === name); n++) name = `${volume.name}-${n}`;
    if (name !== volume.name) src.warn(at, `volume name "${volume.name}" is used twice in this service; this one is named "${name}"`);
    out.push({ ...volume, name });
  };

  listAt(src, service.volumes, [...path, 'volumes'], 'volumes').forEach((item, i) => {
    const at: Path = [...path, 'volumes', i];
    const volume = isRawMap(item) ? convertVolume(src, item, at, ctx) : undefined;
    if (!isRawMap(item)) src.warn(at, `expected a volume as { name, type, mount_path }, got ${describe(item)}; ignored`);
    if (volume) add(volume, at);
  });

  listAt(src, service.configmap, [...path, 'configmap'], 'configmap').forEach((item, i) => {
    const at: Path = [...path, 'configmap', i];
    const volume = isRawMap(item) ? convertConfigMap(src, item, at) : undefined;
    if (volume) add(volume, at);
  });

  const storage = mapAt(src, service.storage, [...path, 'storage'], 'storage');
  if (storage) {
    const type = scalarText(storage.type);
    const size = readSize(src, storage.size, [...path, 'storage', 'size']);
    const persistent = out.filter((v) => (v.type ?? 'persistent') === 'persistent');
    if (size) for (const v of persistent) v.size ??= size;
    src.warn(
      [...path, 'storage'],
      `storage${type ? ` type ${type}` : ''} is Release's cloud storage class; Slipway keeps persistent volumes on the runtime's own storage${size && persistent.length ? ` (size ${size} is kept on the persistent volumes)` : ''}`,
    );
  }
  return out;
}

function convertVolume(src: SourceFile, raw: RawMap, at: Path, ctx: VolumeContext): VolumeInput | undefined {
  const mountPath = scalarText(raw.mount_path ?? raw.mountPath);
  if (!mountPath || !mountPath.startsWith('/')) {
    src.warn(at, `a volume needs an absolute mount_path, got ${describe(raw.mount_path)}; the volume is dropped`);
    return undefined;
  }
  const claim = scalarText(raw.claim);
  if (claim !== undefined) {
    const shared = ctx.shared.get(claim);
    if (!shared) {
      src.warn([...at, 'claim'], `claims shared volume "${claim}", which shared_volumes does not define; mounted as a persistent volume of this service`);
    } else {
      shared.claimedBy.push(ctx.service);
      const others = shared.claimedBy.length > 1 ? ` (also claimed by ${shared.claimedBy.slice(0, -1).join(', ')})` : '';
      src.warn([...at, 'claim'], `shared volume "${claim}"${others}: Slipway volumes belong to one service, so "${ctx.service}" gets its own persistent volume "${toDnsLabel(claim)}"`);
    }
    return { name: volumeName(claim, mountPath), mountPath, ...(shared?.size ? { size: shared.size } : {}) };
  }
  const name = volumeName(scalarText(raw.name), mountPath);
  const type = scalarText(raw.type) ?? 'persistent';
  const readOnly = flag(raw.read_only ?? raw.readOnly) === true ? { readOnly: true } : {};
  const size = readSize(src, raw.size, [...at, 'size']);
  switch (type) {
    case 'persistent':
      return { name, mountPath, ...(size ? { size } : {}), ...readOnly };
    case 'empty_dir':
    case 'emptyDir':
    case 'ephemeral':
      return { name, mountPath, type: 'ephemeral', ...readOnly };
    case 'shmem':
      src.warn([...at, 'type'], `shmem is memory-backed in Release; Slipway mounts an ephemeral volume at ${mountPath}, which is disk-backed unless the engine is given a larger shared memory size`);
      return { name, mountPath, type: 'ephemeral' };
    default:
      src.warn([...at, 'type'], `volume type "${type}" (cloud or host storage) has no Slipway equivalent; the volume at ${mountPath} is dropped`);
      return undefined;
  }
}

/**
 * A Release configmap mounts a file of the repository into the container: Slipway's repo volume
 * does the same from the environment's checkout.
 */
function convertConfigMap(src: SourceFile, raw: RawMap, at: Path): VolumeInput | undefined {
  const mountPath = scalarText(raw.mount_path ?? raw.mountPath);
  const repoPath = scalarText(raw.repo_path ?? raw.repoPath);
  if (!mountPath || !mountPath.startsWith('/') || !repoPath) {
    src.warn(at, 'a configmap needs mount_path (absolute) and repo_path; dropped');
    return undefined;
  }
  const source = repoRelative(repoPath);
  src.warn(at, `configmap "${scalarText(raw.name) ?? source}" becomes a read-only repo volume: ${source} of the environment's checkout is mounted at ${mountPath}`);
  return { name: volumeName(scalarText(raw.name), mountPath), mountPath, type: 'repo', source, readOnly: true };
}

function volumeName(name: string | undefined, mountPath: string): string {
  const fromName = name ? toDnsLabel(name) : '';
  if (fromName) return fromName;
  return toDnsLabel(mountPath.split('/').filter(Boolean).pop() ?? '') || 'volume';
}

function readSize(src: SourceFile, raw: unknown, path: Path): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const size = memoryQuantity(raw);
  if (!size) src.warn(path, `${describe(raw)} is not a size such as 10Gi; ignored`);
  return size?.quantity;
}
