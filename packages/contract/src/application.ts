import { z } from 'zod';
import {
  byteSize,
  command,
  cpuQuantity,
  dnsLabel,
  duration,
  envMap,
  envVarName,
  memoryQuantity,
  metadata,
  lowopsMetadata,
  portNumber,
  secretRef,
} from './primitives.ts';

export const runtimeName = z.enum(['local', 'docker', 'kubernetes']);
export type RuntimeName = z.infer<typeof runtimeName>;

const httpProbe = z.strictObject({
  path: z.string().startsWith('/', { message: 'expected a path starting with "/"' }).default('/'),
  port: portNumber.optional().describe("the service's port to probe; its first port when absent"),
  headers: z.record(z.string(), z.string()).optional(),
});

export const probe = z
  .strictObject({
    http: httpProbe.optional().describe('healthy when a GET answers 200-399'),
    exec: z.strictObject({ command }).optional().describe('healthy when the command exits 0'),
    tcp: z.strictObject({ port: portNumber.optional() }).optional().describe('healthy when the port accepts a connection'),
    initialDelay: duration.default('0s'),
    period: duration.default('2s'),
    timeout: duration.default('1s'),
    failureThreshold: z.number().int().min(1).default(3),
    successThreshold: z.number().int().min(1).default(1),
  })
  .superRefine((value, ctx) => {
    const kinds = (['http', 'exec', 'tcp'] as const).filter((k) => value[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a probe needs one of http, exec or tcp'
            : `a probe has exactly one of http, exec or tcp, got ${kinds.join(' and ')}`,
      });
    }
  }).meta({ id: 'Probe' });
export type Probe = z.infer<typeof probe>;

export const buildSpec = z.strictObject({
  context: z.string().default('.').describe('folder of the repository sent to the image build'),
  dockerfile: z.string().optional().describe('path of the Dockerfile, relative to the context; Dockerfile when absent'),
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  target: z.string().optional().describe('stage of a multi-stage Dockerfile to build'),
});
export type BuildSpec = z.infer<typeof buildSpec>;

export const runSpec = z.strictObject({
  command: command.describe('starts the service; it must listen on $PORT'),
  install: command.optional().describe('runs once per checkout before build, e.g. npm ci'),
  build: command.optional().describe('runs after install, on every new commit'),
  workdir: z.string().optional().describe('folder of the repository the commands run in'),
});
export type RunSpec = z.infer<typeof runSpec>;

export const staticSpec = z.strictObject({
  install: command.optional(),
  build: command.optional().describe('produces the output folder'),
  output: z.string().min(1).describe('folder served by the router, relative to workdir'),
  workdir: z.string().optional(),
  spa: z.boolean().default(false).describe('answer unknown paths with index.html (single-page apps)'),
});
export type StaticSpec = z.infer<typeof staticSpec>;

export const portSpec = z.strictObject({
  port: portNumber.describe('port the service listens on (in its container; locally the runtime allocates one and sets $PORT)'),
  name: dnsLabel.optional(),
  protocol: z.enum(['http', 'tcp', 'udp']).default('http'),
});
export type PortSpec = z.infer<typeof portSpec>;

export const dependency = z.union(
  [
    dnsLabel,
    z.strictObject({
      name: dnsLabel,
      condition: z.enum(['started', 'ready', 'completed']).default('ready'),
    }),
  ],
  { error: 'expected a service or job name, or { name, condition: started | ready | completed }' },
);
export type Dependency = z.infer<typeof dependency>;

export const resources = z.strictObject({
  requests: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
  limits: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() }).optional(),
}).meta({ id: 'Resources' });
export type Resources = z.infer<typeof resources>;

export const volumeSpec = z
  .strictObject({
    name: dnsLabel,
    mountPath: z.string().startsWith('/', { message: 'expected an absolute path' }),
    type: z
      .enum(['persistent', 'ephemeral', 'repo'])
      .default('persistent')
      .describe('persistent: kept across deploys, removed at teardown; ephemeral: empty at each start; repo: a path of the checkout'),
    source: z.string().optional().describe('with type repo: the file or folder of the repository to mount'),
    size: byteSize.optional(),
    readOnly: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (value.type === 'repo' && !value.source) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'a repo volume needs source: the path in the repository to mount' });
    }
    if (value.type !== 'repo' && value.source) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: `source is only for type: repo, this volume is ${value.type}` });
    }
  });
export type VolumeSpec = z.infer<typeof volumeSpec>;

export const ingressSettings = z.strictObject({
  public: z.boolean().optional().describe('reachable by anyone with the URL (true) or only by signed-in members (false)'),
  timeout: duration.optional().describe('longest wait for an upstream response'),
  connectTimeout: duration.optional(),
  maxBodySize: byteSize.optional().describe('largest request body accepted'),
}).meta({ id: 'IngressSettings' });
export type IngressSettings = z.infer<typeof ingressSettings>;

export const initContainer = z.strictObject({
  name: dnsLabel,
  image: z.string().optional().describe("image to run; the service's own image or checkout when absent"),
  command,
  env: envMap.optional(),
});
export type InitContainer = z.infer<typeof initContainer>;

export const sidecar = z.strictObject({
  name: dnsLabel,
  image: z.string().optional(),
  command: command.optional(),
  args: z.array(z.string()).optional(),
  env: envMap.optional(),
  ports: z.array(portSpec).optional(),
});
export type Sidecar = z.infer<typeof sidecar>;

const serviceFields = {
  name: dnsLabel,
  description: z.string().optional(),
  image: z.string().min(1).optional().describe('container image to run (or the tag given to the image built from build)'),
  build: buildSpec.optional().describe('build the container image from the repository at the environment\'s commit'),
  run: runSpec.optional().describe('local runtime: run a process from the environment\'s checkout'),
  static: staticSpec.optional().describe('a static site built from the repository and served by the router'),
  command: command.optional().describe('container entrypoint override'),
  args: z.array(z.string()).optional().describe('container arguments override'),
  ports: z.array(portSpec).default([]),
  env: envMap.optional().describe('variables for this service only; they override env.defaults'),
  dependsOn: z.array(dependency).default([]),
  readiness: probe.optional(),
  liveness: probe.optional(),
  initContainers: z.array(initContainer).default([]),
  sidecars: z.array(sidecar).default([]),
  replicas: z.number().int().min(0).max(100).default(1),
  resources: resources.optional(),
  volumes: z.array(volumeSpec).default([]),
  hostnames: z
    .array(z.string().min(1))
    .optional()
    .describe('host templates (${service}, ${env_id}, ${domain}); ${service}-${env_id}.${domain} when absent for a service with an http port; [] for none'),
  ingress: ingressSettings.optional(),
};

function checkServiceSource(value: { image?: unknown; build?: unknown; run?: unknown; static?: unknown }, ctx: z.RefinementCtx) {
  const given = (['image', 'build', 'run', 'static'] as const).filter((k) => value[k] !== undefined);
  if (given.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'a service needs one of image, build, run or static' });
  } else if (value.static !== undefined && given.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['static'],
      message: `a static service is built and served by the router; it cannot also have ${given.filter((k) => k !== 'static').join(', ')}`,
    });
  }
}

export const serviceSpec = z.strictObject(serviceFields).superRefine(checkServiceSource).meta({ id: 'Service' });
export type ServiceSpec = z.infer<typeof serviceSpec>;

const jobFields = {
  name: dnsLabel,
  description: z.string().optional(),
  fromService: dnsLabel.optional().describe("run in this service's image or checkout, with its variables"),
  image: z.string().optional(),
  command: command,
  env: envMap.optional(),
  timeout: duration.default('10m'),
  haltOnError: z.boolean().default(true).describe('a failure stops the workflow'),
  dependsOn: z.array(dependency).default([]),
  resources: resources.optional(),
};

function checkJobSource(value: { fromService?: unknown; image?: unknown }, ctx: z.RefinementCtx) {
  if (value.fromService === undefined && value.image === undefined) {
    ctx.addIssue({ code: 'custom', message: "a job needs fromService (run in that service's image or checkout) or image" });
  }
}

export const jobSpec = z.strictObject(jobFields).superRefine(checkJobSource).meta({ id: 'Job' });
export type JobSpec = z.infer<typeof jobSpec>;

export const cronJobSpec = z
  .strictObject({
    ...jobFields,
    schedule: z
      .string()
      .regex(/^(@(hourly|daily|weekly|monthly|yearly))$|^(\S+\s+){4}\S+$/, {
        message: 'expected a cron schedule of five fields (minute hour day month weekday) or @hourly, @daily, @weekly, @monthly',
      }),
    concurrency: z.enum(['allow', 'forbid', 'replace']).default('forbid'),
  })
  .superRefine(checkJobSource).meta({ id: 'CronJob' });
export type CronJobSpec = z.infer<typeof cronJobSpec>;

export const taskPattern = /^(services\.all|services\.[a-z0-9-]+|jobs\.[a-z0-9-]+|environment\.remove)$/;
export const workflowStep = z.strictObject({
  name: z.string().min(1).optional(),
  tasks: z
    .array(
      z.string().regex(taskPattern, {
        message: 'expected a task: services.<name>, services.all, jobs.<name> or (teardown) environment.remove',
      }),
    )
    .min(1, { message: 'a step needs at least one task' }),
  waitForFinish: z.boolean().default(true).describe('wait for every task of the step before the next step'),
  haltOnError: z.boolean().optional().describe('stop the workflow when a task fails; true for setup and patch, false for teardown'),
});
export type WorkflowStep = z.infer<typeof workflowStep>;

export const workflowSpec = z.strictObject({
  steps: z.array(workflowStep).min(1, { message: 'a workflow needs at least one step' }),
}).meta({ id: 'Workflow' });
export type WorkflowSpec = z.infer<typeof workflowSpec>;

export const workflowName = z.enum(['setup', 'patch', 'teardown']);
export type WorkflowName = z.infer<typeof workflowName>;

export const workflows = z.strictObject({
  setup: workflowSpec.optional().describe('runs on creation and after a configuration change; all services in dependsOn order when absent'),
  patch: workflowSpec.optional().describe('runs on a new commit; like setup when absent'),
  teardown: workflowSpec.optional().describe('runs on deletion or expiry; must end with environment.remove'),
});
export type Workflows = z.infer<typeof workflows>;

export const routeRule = z.strictObject({
  hostnames: z.array(z.string().min(1)).min(1).describe('host templates this rule applies to'),
  path: z.string().startsWith('/', { message: 'expected a path prefix starting with "/"' }).default('/'),
  service: dnsLabel,
  port: portNumber.optional(),
  stripPrefix: z.boolean().default(false),
});
export type RouteRule = z.infer<typeof routeRule>;

export const routing = z.strictObject({
  rules: z.array(routeRule).default([]),
  ingress: ingressSettings.optional(),
});
export type Routing = z.infer<typeof routing>;

export const envSpec = z.strictObject({
  defaults: envMap.optional().describe('variables every service and job receives'),
  mapping: z
    .record(z.string(), z.string())
    .optional()
    .describe('variables computed from others: "${API_URL}/v1", "${DB_URL:-postgres://db/app}"'),
}).meta({ id: 'Variables' });
export type EnvSpec = z.infer<typeof envSpec>;

export const appImport = z.strictObject({
  app: dnsLabel,
  branch: z.string().optional().describe('branch of the imported application; else the same branch name, its tracking branch, its default branch'),
  excludeServices: z.array(dnsLabel).default([]),
});
export type AppImport = z.infer<typeof appImport>;

/** Where a dataset's golden copy comes from. */
export const datasetSource = z
  .union(
    [
      z.strictObject({
        url: secretRef.describe('a secret holding the postgres:// URL of the database to copy (its value is never written in a manifest)'),
      }),
      z.strictObject({
        file: z
          .string()
          .min(1)
          .describe('a SQL script or a pg_dump archive (custom format): an absolute path on the server, or a path relative to the repository'),
      }),
    ],
    { error: 'expected a source: { url: { secret: name } } (a PostgreSQL URL held as a secret) or { file: path } (a SQL script or pg_dump archive)' },
  )
  .meta({ id: 'DatasetSource' });
export type DatasetSource = z.infer<typeof datasetSource>;

/** The connection variables a dataset injects, by what each holds. */
export const datasetVariableParts = ['URL', 'HOST', 'PORT', 'NAME', 'USER', 'PASSWORD'] as const;

export const datasetRef = z.strictObject({
  name: dnsLabel.describe('name of the dataset within the application'),
  source: datasetSource
    .optional()
    .describe('where the golden copy comes from; an environment template may leave it out to attach the application\'s dataset of that name'),
  transform: z
    .string()
    .min(1)
    .optional()
    .describe('SQL run on the golden copy before it is cloned, to mask or remove personal data; a failing statement fails the dataset'),
  poolSize: z.number().int().min(0).max(50).default(2).describe('ready clones kept waiting for new environments (0: every clone made on demand)'),
  optional: z
    .boolean()
    .default(false)
    .describe('an environment is created without the dataset when no clone can be had; otherwise its deploy fails with the reason'),
  refresh: z
    .string()
    .regex(/^(@(hourly|daily|weekly|monthly|yearly))$|^(\S+\s+){4}\S+$/, {
      message: 'expected a cron schedule of five fields (minute hour day month weekday) or @hourly, @daily, @weekly, @monthly',
    })
    .optional()
    .describe('when the golden copy is made again from the source and unattached clones are replaced (UTC cron); never when absent'),
  services: z
    .array(dnsLabel)
    .optional()
    .describe('services and jobs that get the connection variables; every service and job when absent'),
  envPrefix: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default('DATABASE')
    .describe('prefix of the injected variables: <PREFIX>_URL, _HOST, _PORT, _NAME, _USER, _PASSWORD'),
  env: z
    .partialRecord(z.enum(datasetVariableParts), envVarName)
    .optional()
    .describe('other names for some of the variables, e.g. { URL: SPRING_DATASOURCE_URL }; the others keep <PREFIX>_<PART>'),
}).meta({ id: 'Dataset' });
export type DatasetRef = z.infer<typeof datasetRef>;

export const repositorySpec = z.strictObject({
  url: z.string().optional().describe('git URL or local path of the repository'),
  trackingBranch: z.string().optional().describe('branch permanent environments follow; the default branch when absent'),
  autoDeploy: z
    .boolean()
    .optional()
    .describe('a push to the branch a permanent environment follows patches it, when a webhook or polling reports pushes (default true)'),
  poll: z
    .boolean()
    .optional()
    .describe('watch the repository with git ls-remote at the server\'s polling interval, for remotes that send no webhooks (default false)'),
  github: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'expected a GitHub repository as owner/name' })
    .optional()
    .describe('owner/name of the GitHub repository whose webhooks drive this application; read from the repository URL when it is on GitHub'),
});

/** Which pull requests and branches get an environment of their own (see docs/previews.md). */
export const previewSettings = z
  .strictObject({
    pullRequests: z
      .enum(['all', 'labeled', 'none'])
      .default('all')
      .describe('pull requests (from a webhook) that get an environment: all, only those with the label, or none'),
    label: z.string().min(1).max(50).default('preview').describe('with pullRequests: labeled, the label that asks for an environment'),
    branches: z
      .array(z.string().min(1).max(255))
      .default([])
      .describe('branches that get an environment when pushed (patterns: * within a path segment, ** across segments, a leading ! excludes)'),
  })
  .meta({ id: 'PreviewSettings' });
export type PreviewSettings = z.infer<typeof previewSettings>;

const overridable = {
  runtime: runtimeName.optional(),
  env: envSpec.optional(),
  routing: routing.optional(),
  workflows: workflows.optional(),
  datasets: z.array(datasetRef).optional(),
  appImports: z.array(appImport).optional(),
};

/** A service override in an environment template: its name and the fields to replace. */
export const serviceOverride = z
  .strictObject({
    ...serviceFields,
    ports: z.array(portSpec).optional(),
    dependsOn: z.array(dependency).optional(),
    initContainers: z.array(initContainer).optional(),
    sidecars: z.array(sidecar).optional(),
    replicas: z.number().int().min(0).max(100).optional(),
    volumes: z.array(volumeSpec).optional(),
  })
  .partial()
  .required({ name: true });
export type ServiceOverride = z.infer<typeof serviceOverride>;

/** A job override in an environment template: its name and the fields to replace. */
export const jobOverride = z
  .strictObject({
    ...jobFields,
    timeout: duration.optional(),
    haltOnError: z.boolean().optional(),
    dependsOn: z.array(dependency).optional(),
  })
  .partial()
  .required({ name: true });
export type JobOverride = z.infer<typeof jobOverride>;

export const environmentTemplate = z.strictObject({
  name: dnsLabel.describe('ephemeral, permanent, or the name of one permanent environment (e.g. production)'),
  ttl: duration.optional().describe('ephemeral only: time after creation (or the last extend) when the environment is torn down'),
  idleTimeout: duration.optional().describe('ephemeral only: torn down after this long without a deploy or a request through the router'),
  services: z.array(serviceOverride).optional(),
  jobs: z.array(jobOverride).optional(),
  ...overridable,
}).meta({ id: 'EnvironmentTemplate' });
export type EnvironmentTemplate = z.infer<typeof environmentTemplate>;

export const lifecycleSpec = z.strictObject({
  maxEnvironments: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('most ephemeral environments of this application at once; creating one more tears down the least recently used idle one'),
});

export const applicationSpec = z.strictObject({
  repository: repositorySpec.optional(),
  previews: previewSettings.optional().describe('environments for pull requests and branches; every pull request when absent'),
  services: z.array(serviceSpec).min(1, { message: 'an application needs at least one service' }),
  jobs: z.array(jobSpec).default([]),
  cronJobs: z.array(cronJobSpec).default([]),
  workflows: workflows.default({}),
  routing: routing.default({ rules: [] }),
  env: envSpec.default({}),
  environmentTemplates: z.array(environmentTemplate).default([]),
  appImports: z.array(appImport).default([]),
  datasets: z.array(datasetRef).default([]),
  runtime: runtimeName.optional().describe("where environments run; the server's default when absent"),
  lifecycle: lifecycleSpec.optional(),
}).meta({ id: 'ApplicationSpec' });
export type ApplicationSpec = z.infer<typeof applicationSpec>;

export const applicationManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('Application'),
  metadata,
  spec: applicationSpec,
});
export type ApplicationManifest = z.infer<typeof applicationManifest>;
/** The Application as a person writes it: fields with defaults may be left out (what importers produce). */
export type ApplicationManifestInput = z.input<typeof applicationManifest>;

export const lowopsApplicationManifest = z.strictObject({
  apiVersion: z.literal('lowops.manifests.v1'),
  kind: z.literal('Application'),
  metadata: lowopsMetadata,
  spec: applicationSpec,
});
