// Finding a Docker Engine API: DOCKER_HOST when it is set, else the usual sockets of Docker and of
// Podman's Docker-compatible service. The first that answers a ping wins; when none does, the error
// names every place tried and why each failed, so a user can tell "not installed" from "not
// started" from "no permission".
import { existsSync } from 'node:fs';
import Dockerode from 'dockerode';

export interface DockerEngineOptions {
  /** An engine address (unix:///path, tcp://host:port, http://host:port); DOCKER_HOST and the usual sockets when absent. */
  host?: string;
  /** Variables to read DOCKER_HOST and XDG_RUNTIME_DIR from; the process's by default. */
  env?: Record<string, string | undefined>;
  /** Longest wait for each ping; 3 s by default. */
  timeoutMs?: number;
}

export interface DockerEngineInfo {
  /** The address that answered, e.g. unix:///run/podman/podman.sock. */
  endpoint: string;
  /** `podman` when the engine says it is Podman, `docker` otherwise. */
  engine: 'docker' | 'podman';
  version: string;
  apiVersion: string;
}

export type DockerEngineDetection =
  | ({ found: true; docker: Dockerode } & DockerEngineInfo)
  | { found: false; tried: { endpoint: string; error: string }[]; message: string };

export class DockerEngineNotFoundError extends Error {
  constructor(
    message: string,
    readonly tried: { endpoint: string; error: string }[],
  ) {
    super(message);
    this.name = 'DockerEngineNotFoundError';
  }
}

/** Where to look, in order: DOCKER_HOST alone when set, else the usual sockets. */
export function engineCandidates(options: Pick<DockerEngineOptions, 'host' | 'env'> = {}): string[] {
  const env = options.env ?? process.env;
  const explicit = options.host ?? env.DOCKER_HOST;
  if (explicit) return [explicit];
  const sockets = ['/var/run/docker.sock', '/run/podman/podman.sock'];
  if (env.XDG_RUNTIME_DIR) sockets.push(`${env.XDG_RUNTIME_DIR}/podman/podman.sock`);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined) sockets.push(`/run/user/${uid}/podman/podman.sock`);
  return [...new Set(sockets)].map((s) => `unix://${s}`);
}

/** A client for an engine address; throws for an address it cannot use. */
export function dockerClient(endpoint: string, timeoutMs?: number): Dockerode {
  const timeout = timeoutMs !== undefined ? { timeout: timeoutMs } : {};
  if (endpoint.startsWith('unix://')) return new Dockerode({ socketPath: endpoint.slice('unix://'.length), ...timeout });
  if (endpoint.startsWith('/')) return new Dockerode({ socketPath: endpoint, ...timeout });
  const url = /^(tcp|http|https):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(endpoint);
  if (url) {
    const protocol = url[1] === 'https' ? 'https' : 'http';
    return new Dockerode({ host: url[2]!.replace(/^\[|\]$/g, ''), port: Number(url[3]), protocol, ...timeout });
  }
  throw new Error(`cannot use the engine address ${JSON.stringify(endpoint)}: expected unix:///path/to/socket or tcp://host:port`);
}

async function probe(endpoint: string, timeoutMs: number): Promise<{ docker: Dockerode; info: DockerEngineInfo } | { error: string }> {
  if (endpoint.startsWith('unix://') && !existsSync(endpoint.slice('unix://'.length))) return { error: 'no such socket' };
  let pinger: Dockerode;
  try {
    pinger = dockerClient(endpoint, timeoutMs);
  } catch (error) {
    return { error: (error as Error).message };
  }
  try {
    await pinger.ping();
    const version = (await pinger.version()) as Dockerode.DockerVersion & { Components?: { Name: string }[] };
    const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name));
    // The client used afterwards has no request timeout: builds, waits and followed logs are long.
    return {
      docker: dockerClient(endpoint),
      info: { endpoint, engine: podman ? 'podman' : 'docker', version: version.Version, apiVersion: version.ApiVersion },
    };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { error: e.code === 'EACCES' ? 'permission denied (is this user allowed to use the socket?)' : e.code === 'ECONNREFUSED' ? 'nothing answers (the engine is not running)' : (e.message ?? String(error)) };
  }
}

/** Looks for an engine that answers; the server calls it to decide whether to offer the docker runtime. */
export async function detectDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngineDetection> {
  const tried: { endpoint: string; error: string }[] = [];
  for (const endpoint of engineCandidates(options)) {
    const result = await probe(endpoint, options.timeoutMs ?? 3_000);
    if ('docker' in result) return { found: true, docker: result.docker, ...result.info };
    tried.push({ endpoint, error: result.error });
  }
  const list = tried.map((t) => `${t.endpoint} (${t.error})`).join(', ');
  const how = options.host || (options.env ?? process.env).DOCKER_HOST ? 'DOCKER_HOST' : 'the usual sockets';
  return {
    found: false,
    tried,
    message: `no Docker Engine API answers at ${how}: tried ${list}. Start Docker, or Podman's service (podman system service --time=0 unix:///run/podman/podman.sock), or set DOCKER_HOST`,
  };
}

/** Like detectDockerEngine, but throws DockerEngineNotFoundError when no engine answers. */
export async function connectDockerEngine(options: DockerEngineOptions = {}): Promise<{ docker: Dockerode } & DockerEngineInfo> {
  const detected = await detectDockerEngine(options);
  if (!detected.found) throw new DockerEngineNotFoundError(detected.message, detected.tried);
  const { found: _found, ...engine } = detected;
  return engine;
}
