// Pushing an image from the engine to a registry, for runtimes whose nodes pull what Slipway built
// (kubernetes). The registry's digest of the pushed manifest is returned, so the workload can name
// the image by content: an unchanged image is the same reference on every deploy.
//
// Credentials travel only in the engine API's X-Registry-Auth header (dockerode's authconfig): they
// are never part of a reason, a progress line or a log.
import type Dockerode from 'dockerode';

export interface RegistryAuth {
  username: string;
  password: string;
  /** The registry the credentials are for; the pushed reference's registry when absent. */
  serveraddress?: string;
}

export interface PushRequest {
  /** The image on the engine (an id or a name). */
  image: string;
  /** Where to push it: <registry>/<path>:<tag>. */
  reference: string;
  auth?: RegistryAuth;
  /**
   * Push over plain HTTP or to a registry whose certificate is not trusted. Podman reads it per push
   * (tlsVerify=false); Docker ignores it and trusts loopback registries and its own insecure list.
   */
  insecure?: boolean;
  /** Each progress line of the push (layers pushed, the digest), never a layer's byte counts. */
  onOutput?: (line: string) => void;
  /** Longest push; 10 minutes by default. */
  timeoutMs?: number;
}

export type PushResult = { ok: true; digest: string; reference: string } | { ok: false; reason: string };

interface PushEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string; Tag?: string };
}

/** The repository of a reference (without its tag) and its tag (latest when none). */
export function splitReference(reference: string): { repository: string; tag: string } {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') ? { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) } : { repository: reference, tag: 'latest' };
}

/** The registry host of a reference, as a pull names it (docker.io when the first part is no host). */
export function registryOf(reference: string): string {
  const first = reference.split('/')[0]!;
  return reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** Tags `image` as `reference` and pushes it; the digest is the registry's, as the engine reports it. */
export async function pushImage(docker: Dockerode, request: PushRequest): Promise<PushResult> {
  const { repository, tag } = splitReference(request.reference);
  try {
    await docker.getImage(request.image).tag({ repo: repository, tag });
  } catch (error) {
    return { ok: false, reason: `tagging ${request.image} as ${request.reference} failed: ${(error as Error).message}` };
  }
  const authconfig = request.auth ? { username: request.auth.username, password: request.auth.password, serveraddress: request.auth.serveraddress ?? registryOf(request.reference) } : undefined;
  const timeoutMs = request.timeoutMs ?? 10 * 60_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let digest: string | undefined;
  let failure: string | undefined;
  const said = (line: string) => {
    try {
      request.onOutput?.(line);
    } catch {
      // the caller's problem, never the push's
    }
  };
  try {
    const stream = (await docker.getImage(repository).push({
      tag,
      ...(authconfig ? { authconfig } : {}),
      ...(request.insecure ? { tlsVerify: false } : {}),
      abortSignal: abort.signal,
    } as Parameters<Dockerode.Image['push']>[0])) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: PushEvent) => {
          if (event.error || event.errorDetail) {
            failure = event.errorDetail?.message ?? event.error;
            return;
          }
          if (event.aux?.Digest) digest = event.aux.Digest;
          // Byte counts of a layer in flight are noise in a deploy log.
          if (!event.status || event.progressDetail?.current !== undefined) return;
          const found = /digest: (sha256:[a-f0-9]{64})/.exec(event.status);
          if (found) digest ??= found[1];
          said(event.id ? `${event.id}: ${event.status}` : event.status);
        },
      );
    });
  } catch (error) {
    failure ??= abort.signal.aborted ? `did not finish within ${timeoutMs} ms` : (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
  if (failure) return { ok: false, reason: `pushing ${request.reference} failed: ${firstLine(failure)}` };
  digest ??= await repoDigest(docker, request.image, repository);
  if (!digest) return { ok: false, reason: `pushing ${request.reference}: the engine reported no digest of the pushed image` };
  return { ok: true, digest, reference: `${repository}@${digest}` };
}

/** The digest the engine recorded for the image in `repository` after a push (RepoDigests). */
async function repoDigest(docker: Dockerode, image: string, repository: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(image).inspect();
    const entry = (info.RepoDigests ?? []).find((d) => d.startsWith(`${repository}@`));
    return entry?.slice(repository.length + 1);
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}
