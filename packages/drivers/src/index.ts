// The drivers package: runtime drivers (one folder each) and the conformance suite they all pass.
export { createLocalDriver, LocalDriver, type LocalDriverOptions } from './local/local-driver.ts';
export { createDockerDriver, DockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export {
  connectDockerEngine,
  detectDockerEngine,
  DockerEngineNotFoundError,
  engineCandidates,
  type DockerEngineDetection,
  type DockerEngineInfo,
  type DockerEngineOptions,
} from './docker/engine.ts';
