// The drivers package: runtime drivers (one folder each) and the conformance suite they all pass.
export { createLocalDriver, LocalDriver, type LocalDriverOptions } from './local/local-driver.ts';
export { createDockerDriver, DockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export { createKubernetesDriver, KubernetesDriver, type KubernetesDriverOptions } from './kubernetes/kubernetes-driver.ts';
export { runOneOffContainer, type OneOffContainerRequest, type OneOffContainerResult } from './docker/one-off-container.ts';
export {
  connectDockerEngine,
  detectDockerEngine,
  DockerEngineNotFoundError,
  engineCandidates,
  type DockerEngineDetection,
  type DockerEngineInfo,
  type DockerEngineOptions,
} from './docker/engine.ts';
// For tests of the docker runtime in other packages: base images made on this machine (never
// pulled), and the node image under the name the example's Dockerfiles start FROM.
