/**
 * Compose service keys the importer does not carry over, each with why, so that a warning tells the
 * user what Slipway does instead. Keys the importer converts are listed in service.ts.
 */
const SERVICE_NOTES: Record<string, string | ((service: string, value: unknown) => string)> = {
  container_name: (service, value) =>
    `other services reach this one by its service name "${service}"${typeof value === 'string' && value !== service ? `, not "${value}"` : ''}`,
  hostname: (service) => `other services reach this one by its service name "${service}"`,
  domainname: (service) => `other services reach this one by its service name "${service}"`,
  restart: 'the runtime supervises services and decides how they are restarted',
  networks: "each environment has one network, on which every service reaches the others by name",
  network_mode: "services run on the environment's network",
  links: "services reach each other by name on the environment's network; list the service in depends_on if it must start first",
  external_links: "services reach each other by name on the environment's network",
  labels: 'Slipway labels the containers it creates; routing is set with hostnames and spec.routing, not proxy labels',
  annotations: 'Slipway annotates the containers it creates',
  label_file: 'Slipway labels the containers it creates',
  user: "the container runs as the image's USER; set it in the Dockerfile",
  working_dir: 'set WORKDIR in the Dockerfile',
  stdin_open: 'services run without a terminal',
  tty: 'services run without a terminal',
  stop_signal: 'set STOPSIGNAL in the Dockerfile instead',
  stop_grace_period: "the runtime's stop timeout applies",
  logging: "Slipway collects services' output itself",
  dns: "name resolution is the environment network's",
  dns_search: "name resolution is the environment network's",
  dns_opt: "name resolution is the environment network's",
  extra_hosts: "name resolution is the environment network's",
  mac_address: "addresses are the environment network's",
  platform: "images are built and run for the runtime's platform",
  runtime: "containers run with the engine's default runtime",
  pull_policy: 'the runtime pulls images when it needs them',
  volumes_from: 'declare the volumes on this service',
  privileged: 'containers never run privileged',
  cap_add: 'containers get no extra kernel capabilities',
  cap_drop: "containers run with the runtime's capabilities",
  security_opt: "containers run with the runtime's security options",
  userns_mode: "containers run in the runtime's user namespace",
  devices: 'containers get no device access',
  device_cgroup_rules: 'containers get no device access',
  gpus: 'containers get no device access',
  sysctls: "kernel settings are the runtime's",
  ulimits: "limits are the runtime's",
  pid: "containers run in the runtime's namespaces",
  ipc: "containers run in the runtime's namespaces",
  uts: "containers run in the runtime's namespaces",
  cgroup: "containers run in the runtime's cgroups",
  cgroup_parent: "containers run in the runtime's cgroups",
  isolation: "containers run with the runtime's isolation",
  init: 'the image runs as built; add an init (such as tini) to the image if it needs one',
  read_only: "the container's file system is writable",
  shm_size: "/dev/shm has the runtime's size; mount an ephemeral volume at /dev/shm for more",
  storage_opt: "storage is the runtime's",
  oom_kill_disable: "memory is limited by resources; out-of-memory handling is the runtime's",
  oom_score_adj: "out-of-memory handling is the runtime's",
  mem_swappiness: "memory is limited by resources; swap is the runtime's",
  memswap_limit: "memory is limited by resources; swap is the runtime's",
  cpu_shares: 'use deploy.resources (limits and reservations of cpus)',
  cpu_quota: 'use deploy.resources (limits and reservations of cpus)',
  cpu_period: 'use deploy.resources (limits and reservations of cpus)',
  cpu_count: 'use deploy.resources (limits and reservations of cpus)',
  cpu_percent: 'use deploy.resources (limits and reservations of cpus)',
  cpu_rt_runtime: 'use deploy.resources (limits and reservations of cpus)',
  cpu_rt_period: 'use deploy.resources (limits and reservations of cpus)',
  cpuset: 'use deploy.resources (limits and reservations of cpus)',
  blkio_config: "disk I/O is the runtime's",
  credential_spec: 'it applies to Windows containers only',
  group_add: "the container runs as the image's user and groups",
  attach: "Slipway collects every service's output",
  develop: "Compose Watch has no equivalent: each environment follows its branch's commits",
  post_start: 'run such steps in an init container or a job',
  pre_stop: 'run such steps in a job of the teardown workflow',
  use_api_socket: 'containers get no access to the container engine',
  models: 'AI models are not provided to services',
  provider: 'services run as containers',
};

/** Top-level keys and why they are not carried over (services, volumes and name are imported). */
const TOP_LEVEL_NOTES: Record<string, string> = {
  networks: "each environment has one network, on which every service reaches the others by name",
  secrets: 'store secret values as workspace secrets and give them to services as variables: env: { NAME: { secret: name } }',
  configs: 'mount files from the repository with volumes of type repo instead',
  include: 'included files are not followed; import them separately, or merge them into this file',
  models: 'AI models are not provided to services',
};

/** The warning for a service key that has no equivalent, or undefined for a key Compose does not define. */
export function serviceKeyNote(key: string, service: string, value: unknown): string | undefined {
  const note = SERVICE_NOTES[key];
  if (note === undefined) return undefined;
  return `${key} has no equivalent: ${typeof note === 'function' ? note(service, value) : note}`;
}

export function topLevelKeyNote(key: string): string | undefined {
  const note = TOP_LEVEL_NOTES[key];
  return note === undefined ? undefined : `${key} has no equivalent: ${note}`;
}
