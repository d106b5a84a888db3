// Base images for the docker runtime's tests, made on this machine because no registry is
// reachable (and tests must never pull):
//   slipway-test/node:local     the host's node binary at the same path (so process.execPath works
//                               inside), the libraries `ldd` lists for it, busybox for sh, and a
//                               `node` user and group (1000, home /home/node) as the official node
//                               images have, so Dockerfiles written for them (chown node:node,
//                               USER node) build on it
//   slipway-test/busybox:local  Debian's busybox-static with its applets
// Each is built FROM scratch with a tar context through the engine's build API, and rebuilt only
// when missing or made from another node version. ensureNodeStandIn gives the node image a public
// name (node:20-alpine), so an application's own Dockerfiles build unchanged and offline.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Dockerode from 'dockerode';
import { pack, type Pack } from 'tar-stream';

export const NODE_IMAGE = 'slipway-test/node:local';
export const BUSYBOX_IMAGE = 'slipway-test/busybox:local';

const BUSYBOX = '/bin/busybox';
const MADE_FROM = 'dev.slipway.test-base';
/** Bumped when what goes into the node image changes, so images made before are remade. */
const NODE_IMAGE_LAYOUT = 3;
/** The official node images' unprivileged user. */
const NODE_USER = { name: 'node', uid: 1000, gid: 1000, home: '/home/node' };

interface RootEntry {
  /** Absolute path inside the image. */
  path: string;
  /** Host file to copy (followed through symlinks), or a symlink target, or text. */
  file?: string;
  link?: string;
  text?: string;
  mode?: number;
}

/** Shared libraries a binary needs, as `ldd` prints them (absolute paths only). */
function librariesOf(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // a static binary: ldd exits non-zero
  }
  const paths = new Set<string>();
  for (const line of out.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) paths.add(match[1]);
  }
  return [...paths];
}

function busyboxEntries(): RootEntry[] {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (scripts/setup-podman.sh does)`);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  return [
    { path: BUSYBOX, file: BUSYBOX, mode: 0o755 },
    // Debian's busybox-static needs none; a dynamically linked busybox brings its libraries.
    ...librariesOf(BUSYBOX).map((library) => ({ path: library, file: library, mode: 0o755 })),
    ...applets.map((a) => ({ path: `/bin/${a}`, link: 'busybox' })),
  ];
}

function commonEntries(users: (typeof NODE_USER)[] = []): RootEntry[] {
  const passwd = users.map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.name}:${u.home}:/bin/sh\n`).join('');
  const group = users.map((u) => `${u.name}:x:${u.gid}:${u.name}\n`).join('');
  return [
    { path: '/etc/passwd', text: `root:x:0:0:root:/root:/bin/sh\n${passwd}nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n` },
    { path: '/etc/group', text: `root:x:0:\n${group}nogroup:x:65534:\n` },
  ];
}

function nodeEntries(): RootEntry[] {
  const node = process.execPath;
  const entries: RootEntry[] = [{ path: node, file: node, mode: 0o755 }];
  const real = realpathSync(node);
  if (real !== node) entries.push({ path: real, file: real, mode: 0o755 });
  for (const library of librariesOf(real)) entries.push({ path: library, file: library, mode: 0o755 });
  // busybox gives sh (string commands run with sh -c) without shadowing a node path.
  return [...entries, ...busyboxEntries().filter((e) => !entries.some((n) => n.path === e.path)), ...commonEntries([NODE_USER])];
}

async function addEntries(archive: Pack, entries: RootEntry[], dockerfile: string, users: (typeof NODE_USER)[]): Promise<void> {
  const directories = new Set<string>();
  const ensureDir = (dir: string) => {
    if (dir === '/' || dir === '.' || directories.has(dir)) return;
    ensureDir(dirname(dir));
    directories.add(dir);
    archive.entry({ name: `rootfs${dir}/`, type: 'directory', mode: 0o755 });
  };
  const put = (header: Parameters<Pack['entry']>[0], body?: Buffer | string) =>
    new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) archive.entry(header, callback);
      else archive.entry(header, body, callback);
    });
  await put({ name: 'Dockerfile', mode: 0o644 }, dockerfile);
  await put({ name: 'rootfs/tmp/', type: 'directory', mode: 0o1777 });
  await put({ name: 'homes/', type: 'directory', mode: 0o755 });
  for (const user of users) {
    await put({ name: `homes/${user.name}/`, type: 'directory', mode: 0o755 });
    // The folder holding a home is root's, as in any image; only the home is the user's.
    ensureDir(dirname(user.home));
  }
  for (const entry of entries) {
    ensureDir(dirname(entry.path));
    const name = `rootfs${entry.path}`;
    if (entry.link) await put({ name, type: 'symlink', linkname: entry.link });
    else if (entry.text !== undefined) await put({ name, mode: entry.mode ?? 0o644 }, entry.text);
    else if (entry.file) {
      const body = readFileSync(entry.file);
      await put({ name, mode: entry.mode ?? (statSync(entry.file).mode & 0o777), size: body.length }, body);
    }
  }
  archive.finalize();
}

async function imageLabel(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(image).inspect();
    return info.Config?.Labels?.[MADE_FROM] ?? '';
  } catch {
    return undefined;
  }
}

async function buildFromScratch(docker: Dockerode, tag: string, entries: RootEntry[], config: string[], madeFrom: string, users: (typeof NODE_USER)[] = []): Promise<void> {
  // COPY makes files root's whatever the context says, so each home is copied with its owner.
  const homes = users.map((u) => `COPY --chown=${u.uid}:${u.gid} homes/${u.name}/ ${u.home}/`);
  const dockerfile = ['FROM scratch', 'COPY rootfs/ /', ...homes, ...config, `LABEL ${MADE_FROM}="${madeFrom}"`, ''].join('\n');
  const archive = pack();
  const writing = addEntries(archive, entries, dockerfile, users);
  const stream = await docker.buildImage(archive as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true, pull: false } as Dockerode.ImageBuildOptions);
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream) output.push(event.stream);
        if (event.error) output.push(event.error);
      },
    );
  });
  await writing;
  if ((await imageLabel(docker, tag)) !== madeFrom) throw new Error(`building ${tag} failed:\n${output.join('').slice(-4_000)}`);
}

function nodeImageMadeFrom(): string {
  return `node ${process.version} ${process.execPath} layout ${NODE_IMAGE_LAYOUT}`;
}

/** Makes the node base image (and, with `busybox`, the busybox one) when missing or stale. Never pulls. */
export async function ensureBaseImages(docker: Dockerode, options: { busybox?: boolean } = {}): Promise<void> {
  const nodeMadeFrom = nodeImageMadeFrom();
  if ((await imageLabel(docker, NODE_IMAGE)) !== nodeMadeFrom) {
    const path = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].filter((p, i, all) => all.indexOf(p) === i).join(':');
    await buildFromScratch(docker, NODE_IMAGE, nodeEntries(), [`ENV PATH=${path}`, 'WORKDIR /'], nodeMadeFrom, [NODE_USER]);
  }
  if (options.busybox) {
    const busyboxMadeFrom = `busybox ${statSync(BUSYBOX).size}`;
    if ((await imageLabel(docker, BUSYBOX_IMAGE)) !== busyboxMadeFrom) {
      await buildFromScratch(docker, BUSYBOX_IMAGE, [...busyboxEntries(), ...commonEntries()], ['ENV PATH=/bin', 'WORKDIR /'], busyboxMadeFrom);
    }
  }
}

/** The public name the node base image stands in for: what the example's Dockerfiles start FROM. */
export const NODE_STAND_IN = 'docker.io/library/node:20-alpine';

/**
 * Gives the node base image (made by ensureBaseImages first) the name `reference`, so a Dockerfile
 * written for the official image (`FROM node:20-alpine`) builds offline: the engine finds the name
 * locally and, as the driver builds with pull: false, never asks a registry for it. Only our own
 * image is ever tagged so: when the engine holds a real image of that name (one without our label,
 * pulled while a registry could be reached), it is left alone and used as it is. Returns which of
 * the two the name now means.
 */
export async function ensureNodeStandIn(docker: Dockerode, reference = NODE_STAND_IN): Promise<'stand-in' | 'real image'> {
  const madeFrom = nodeImageMadeFrom();
  // undefined: no image of that name; "": an image without our label, a real one.
  const current = await imageLabel(docker, reference);
  if (current === '') return 'real image';
  if (current === madeFrom) return 'stand-in';
  if ((await imageLabel(docker, NODE_IMAGE)) !== madeFrom) throw new Error(`${NODE_IMAGE} is missing or stale: call ensureBaseImages first`);
  const colon = reference.lastIndexOf(':');
  const [repo, tag] = colon > reference.lastIndexOf('/') ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
  await docker.getImage(NODE_IMAGE).tag({ repo, tag });
  return 'stand-in';
}
