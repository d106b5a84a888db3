// Runs one command to completion in a container of its own, outside any environment: a managed
// release's workflow step that names an image. The image is used when the engine has it and pulled
// otherwise; the command replaces the image's entrypoint (a string runs through `sh -c`, a list is
// the argument vector), with only the variables given, in a host folder mounted at /work. The
// container is named after the run, so running it again (after a restart) replaces a leftover
// instead of starting a second one, and it is removed when it ends or times out.
import type Dockerode from 'dockerode';
import { ensurePresent } from './images.ts';

export interface OneOffContainerRequest {
  /** Container name: unique per run, [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
  name: string;
  image: string;
  command: string | string[];
  env: Record<string, string>;
  /** Host folder mounted read-write at /work, the working directory. */
  workDir: string;
  timeoutMs: number;
  labels: Record<string, string>;
  /** What failure reasons call it, e.g. step publish. */
  what: string;
}

export interface OneOffContainerResult {
  outcome: 'succeeded' | 'failed' | 'errored';
  reason?: string;
  exitCode?: number;
  logTail: string;
}

const TAIL = 4_000;

export async function runOneOffContainer(docker: Dockerode, request: OneOffContainerRequest): Promise<OneOffContainerResult> {
  const present = await ensurePresent(docker, request.image, request.what);
  if (!present.ok) return { outcome: present.outcome, reason: present.reason, logTail: present.logTail ?? '' };
  await removeContainer(docker, request.name);
  const [entrypoint, ...args] = typeof request.command === 'string' ? ['sh', '-c', request.command] : request.command;
  let container: Dockerode.Container;
  try {
    container = await docker.createContainer({
      name: request.name,
      Image: request.image,
      Entrypoint: [entrypoint!],
      Cmd: args,
      Env: Object.entries({ HOME: '/work', ...request.env }).map(([k, v]) => `${k}=${v}`),
      WorkingDir: '/work',
      Labels: request.labels,
      // One stream of text for the log; an init reaps and passes signals on.
      Tty: true,
      HostConfig: { Binds: [`${request.workDir}:/work`], Init: true },
    });
    await container.start();
  } catch (error) {
    await removeContainer(docker, request.name);
    const message = (error as Error).message;
    // The engine could not run the command at all (no such executable in the image): the step's fault.
    const fault = /executable file not found|no such file or directory|not found in \$PATH/i.test(message) ? 'failed' : 'errored';
    return { outcome: fault, reason: `${request.what}: could not start ${entrypoint} in ${request.image}: ${firstLine(message)}`, logTail: '' };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  }, request.timeoutMs);
  try {
    const waited = (await container.wait()) as { StatusCode?: number };
    clearTimeout(timer);
    const logTail = (await logsOf(container)).slice(-TAIL);
    const code = waited.StatusCode ?? -1;
    if (timedOut) return { outcome: 'failed', reason: `timed out after ${Math.round(request.timeoutMs / 1000)}s`, logTail };
    if (code === 0) return { outcome: 'succeeded', exitCode: 0, logTail };
    return { outcome: 'failed', reason: `exited with ${code}`, exitCode: code, logTail };
  } catch (error) {
    clearTimeout(timer);
    return { outcome: 'errored', reason: `${request.what}: the engine lost the container: ${firstLine((error as Error).message)}`, logTail: '' };
  } finally {
    await removeContainer(docker, request.name);
  }
}

async function logsOf(container: Dockerode.Container): Promise<string> {
  try {
    const output = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer | string;
    return (Buffer.isBuffer(output) ? output.toString('utf8') : String(output)).replace(/\r\n/g, '\n');
  } catch {
    return '';
  }
}

async function removeContainer(docker: Dockerode, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}
