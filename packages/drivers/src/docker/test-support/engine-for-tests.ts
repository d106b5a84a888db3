// What the docker runtime's tests share: the engine (DOCKER_HOST, else the usual sockets), found
// once before the test files are collected so a missing engine skips them with the reason, the base
// images, and the fixture's services turned into image builds.
import type Dockerode from 'dockerode';
import type { ResolvedService } from '@slipway/contract';
import { detectDockerEngine } from '../engine.ts';
import { ensureBaseImages, NODE_IMAGE } from './base-images.ts';

export interface TestEngine {
  docker: Dockerode | undefined;
  /** Why the docker tests are skipped, when they are. */
  skipReason: string | undefined;
  endpoint?: string;
}

export async function testEngine(): Promise<TestEngine> {
  const detected = await detectDockerEngine();
  if (!detected.found) return { docker: undefined, skipReason: `${detected.message} (scripts/setup-podman.sh sets one up)` };
  await ensureBaseImages(detected.docker, { busybox: true });
  return { docker: detected.docker, skipReason: undefined, endpoint: detected.endpoint };
}

const TEST_RUN = `${process.pid}-${Date.now()}`;

/** A fixture service (a run section) as a container: the fixture's Dockerfile on the node base image. */
export function asImageBuild(service: ResolvedService): ResolvedService {
  if (!service.run) return service;
  const { run, ...rest } = service;
  const build = run.build ? (typeof run.build === 'string' ? run.build : run.build.join(' ')) : 'true';
  const buildFail = service.env.BUILD_FAIL;
  return {
    ...rest,
    build: {
      context: run.workdir ?? '.',
      // TEST_RUN keeps each test process's images apart: images stay on the engine between runs, and
      // one made by an earlier run (or an earlier version of the driver) must never stand in for a build.
      args: { BASE_IMAGE: NODE_IMAGE, BUILD_COMMAND: build, TEST_RUN: TEST_RUN, ...(typeof buildFail === 'string' ? { BUILD_FAIL: buildFail } : {}) },
    },
    command: run.command,
  };
}

/** Whether a container runs, by id. */
export async function containerRunning(docker: Dockerode, id: string): Promise<boolean> {
  try {
    return (await docker.getContainer(id).inspect()).State.Running;
  } catch {
    return false;
  }
}
