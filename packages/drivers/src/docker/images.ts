// Images: built from a service's build context at the environment's commit, or pulled when a
// service names an image the engine does not have.
//
// A built image is tagged slipway/<app>-<service>:<commit12>-<build hash>, where the build hash
// covers the context's git tree (a content hash git already keeps, so nothing is read to compute
// it), the Dockerfile path, build args and target. An image already tagged so is reused; an image
// built for another commit from the same tree and settings (a patch that did not touch this
// service) is only tagged again. The build's output is kept in a log file for the failure's tail.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import type { BuildSpec } from '@slipway/contract';
import { hashText, stableStringify } from '@slipway/core';
import { folderIn } from '../shared/git-source.ts';
import { lineSplitter } from '../shared/output-lines.ts';
import { lastLines } from './log-lines.ts';
import { dockerLabels, hasLabels } from './names.ts';

const execFileAsync = promisify(execFile);

export type ImageResult = { ok: true; image: string; id: string; built: boolean } | { ok: false; outcome: 'failed' | 'errored'; reason: string; logTail?: string };

/** What a build depends on, as a short hash; undefined when the context is not a folder of the commit. */
export async function buildHash(checkout: string, build: BuildSpec): Promise<{ hash: string; contextDir: string } | { error: string }> {
  const contextDir = folderIn(checkout, build.context);
  if (!contextDir || !existsSync(contextDir)) return { error: `the build context "${build.context}" is not a folder of the repository` };
  const dockerfile = build.dockerfile ?? 'Dockerfile';
  const dockerfilePath = folderIn(contextDir, dockerfile);
  if (!dockerfilePath || !isFile(dockerfilePath)) return { error: `the build context "${build.context}" has no ${dockerfile} (the dockerfile is a path in the context)` };
  const path = relative(checkout, contextDir);
  let tree: string;
  try {
    tree = (await execFileAsync('git', ['rev-parse', `HEAD:${path}`], { cwd: checkout })).stdout.trim();
  } catch (error) {
    return { error: `cannot read the build context "${build.context}" from git: ${(error as Error).message}` };
  }
  const settings = { dockerfile: build.dockerfile ?? 'Dockerfile', args: build.args ?? {}, target: build.target ?? '' };
  return { hash: hashText(`${tree}\n${stableStringify(settings)}`).slice(0, 12), contextDir };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function buildTag(app: string, service: string, commit: string, hash: string): string {
  return `slipway/${app}-${service}:${commit.slice(0, 12)}-${hash}`;
}

async function inspectImage(docker: Dockerode, image: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch {
    return undefined;
  }
}

export interface BuildRequest {
  tag: string;
  hash: string;
  contextDir: string;
  build: BuildSpec;
  /** Where the build's output is written. */
  logPath: string;
  labels: Record<string, string>;
  /** Longest build; 30 minutes by default. */
  timeoutMs?: number;
  /** What the failure reason calls the build, e.g. services.api build. */
  what: string;
  /** Each line of the build's output as the engine reports it (the caller masks secrets). */
  onOutput?: (line: string) => void;
}

/** The image for a build: reused when tagged, retagged when built from the same inputs, else built. */
export async function ensureBuilt(docker: Dockerode, request: BuildRequest): Promise<ImageResult> {
  const tagged = await inspectImage(docker, request.tag);
  if (tagged) return { ok: true, image: request.tag, id: tagged.Id, built: false };
  try {
    const pairs = [`${dockerLabels.buildHash}=${request.hash}`, ...Object.entries(request.labels).map(([k, v]) => `${k}=${v}`)];
    // Only a finished build, which carries a build tag of this service: Podman also puts the build's
    // labels on the images of a multi-stage build's earlier stages, which are untagged and lack the
    // final stage's CMD.
    const [repository] = splitTag(request.tag);
    const same = (await docker.listImages({ filters: { label: [pairs[0]!] } })).filter(
      (image) => hasLabels(image.Labels, pairs) && (image.RepoTags ?? []).some((t) => splitTag(t.replace(/^(docker\.io|localhost)\//, ''))[0] === repository),
    );
    // Any image built from the same inputs will do: the newest.
    const found = same.sort((x, y) => y.Created - x.Created)[0];
    if (found) {
      await tagImage(docker, found.Id, request.tag);
      return { ok: true, image: request.tag, id: found.Id, built: false };
    }
  } catch {
    // build it instead
  }
  return build(docker, request);
}

/** Gives an image (by id) another name. */
export async function tagImage(docker: Dockerode, id: string, reference: string): Promise<void> {
  const [repo, tag] = splitTag(reference);
  await docker.getImage(id).tag({ repo, tag });
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
}

async function build(docker: Dockerode, request: BuildRequest): Promise<ImageResult> {
  mkdirSync(dirname(request.logPath), { recursive: true });
  writeFileSync(request.logPath, `[slipway] ${request.what}: building ${request.tag} from ${request.build.context}\n`);
  const onOutput = request.onOutput;
  const lines = onOutput
    ? lineSplitter((line) => {
        try {
          onOutput(line);
        } catch {
          // the caller's problem, never the build's
        }
      })
    : undefined;
  const log = (text: string) => {
    appendFileSync(request.logPath, text);
    lines?.push(text);
  };
  const buildargs = Object.fromEntries(Object.entries(request.build.args ?? {}).map(([k, v]) => [k, String(v)]));
  // The worktree's .git file links it to the mirror: never part of a context.
  const src = readdirSync(request.contextDir).filter((entry) => entry !== '.git');
  const options = {
    t: request.tag,
    dockerfile: request.build.dockerfile ?? 'Dockerfile',
    buildargs,
    labels: { ...request.labels, [dockerLabels.buildHash]: request.hash },
    rm: true,
    forcerm: true,
    pull: false,
    ...(request.build.target ? { target: request.build.target } : {}),
  };
  const timeoutMs = request.timeoutMs ?? 30 * 60_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let failure: string | undefined;
  try {
    const stream = await docker.buildImage({ context: request.contextDir, src }, { ...options, abortSignal: abort.signal } as Dockerode.ImageBuildOptions);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) log(event.stream);
          else if (event.status) log(`${event.status}\n`);
          if (event.error || event.errorDetail) {
            failure = event.errorDetail?.message ?? event.error;
            log(`${failure}\n`);
          }
        },
      );
    });
  } catch (error) {
    const message = abort.signal.aborted ? `did not finish within ${timeoutMs} ms` : (error as Error).message;
    failure ??= message;
    log(`${message}\n`);
  } finally {
    clearTimeout(timer);
    lines?.flush();
  }
  const built = failure ? undefined : await inspectImage(docker, request.tag);
  const tail = lastLines(readFileSync(request.logPath, 'utf8'));
  if (!built) return { ok: false, outcome: 'failed', reason: await buildFailure(docker, request, failure ?? 'the engine reported no image'), logTail: tail };
  return { ok: true, image: request.tag, id: built.Id, built: true };
}

/**
 * Why a build failed, in the user's terms where the engine's are obscure: a base image that is not
 * on the engine (and that the engine could not pull: no registry, no such image, no access) is
 * named as such; a Dockerfile the engine did not get (left out by .dockerignore) too.
 */
async function buildFailure(docker: Dockerode, request: BuildRequest, failure: string): Promise<string> {
  const dockerfile = request.build.dockerfile ?? 'Dockerfile';
  const engineSays = firstLine(failure);
  const where = `${dockerfile} in the build context "${request.build.context}"`;
  let text: string | undefined;
  try {
    text = readFileSync(join(request.contextDir, dockerfile), 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    for (const image of baseImages(text, request.build.args ?? {})) {
      if (!failure.includes(repositoryOf(image)) || (await inspectImage(docker, image))) continue;
      return `${request.what}: the base image ${image} (FROM in ${where}) is not on the engine and could not be pulled: ${engineSays}`;
    }
  }
  if (/no such file|cannot locate specified dockerfile|failed to read dockerfile/i.test(failure) && failure.includes(dockerfile.split('/').pop()!)) {
    return `${request.what}: the engine did not get ${where}: check that .dockerignore does not leave it out (${engineSays})`;
  }
  return `${request.what} of ${request.tag} failed: ${engineSays}`;
}

/** An image reference without its tag or digest: what an engine's pull error names. */
function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  return splitTag(at >= 0 ? image.slice(0, at) : image)[0];
}

/**
 * The images a Dockerfile's stages start FROM (not `scratch`, not earlier stages), with the ARGs
 * declared before the first FROM substituted (build args win over their defaults).
 */
export function baseImages(dockerfile: string, args: Record<string, string | number | boolean>): string[] {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const values: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  const substitute = (text: string) =>
    text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const value = values[(braced ?? bare)!];
      return value !== undefined && value !== '' ? value : (fallback ?? '');
    });
  for (const line of lines) {
    const arg = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg && !seenFrom) {
      const given = args[arg[1]!];
      values[arg[1]!] = given !== undefined ? String(given) : (arg[2] ?? '').replace(/^["']|["']$/g, '');
      continue;
    }
    const from = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const image = substitute(from[1]!);
    const known = image.toLowerCase() === 'scratch' || stages.has(image.toLowerCase()) || images.includes(image);
    if (from[2]) stages.add(from[2].toLowerCase());
    if (!known) images.push(image);
  }
  return images;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}

/** An image named by a manifest: used when the engine has it, pulled otherwise. */
export async function ensurePresent(docker: Dockerode, image: string, what: string): Promise<ImageResult> {
  const present = await inspectImage(docker, image);
  if (present) return { ok: true, image, id: present.Id, built: false };
  const progress: string[] = [];
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: { status?: string; error?: string }) => {
          if (event.error) progress.push(event.error);
          else if (event.status) progress.push(event.status);
        },
      );
    });
  } catch (error) {
    progress.push((error as Error).message);
  }
  const pulled = await inspectImage(docker, image);
  if (pulled) return { ok: true, image, id: pulled.Id, built: false };
  return { ok: false, outcome: 'failed', reason: `${what}: the image ${image} is not on the engine and could not be pulled: ${progress.at(-1) ?? 'no answer'}`, logTail: progress.slice(-20).join('\n') };
}
