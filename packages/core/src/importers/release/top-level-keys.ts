import { describe, flag, isRawMap, scalarText, type RawMap } from './raw-values.ts';
import type { SourceFile } from './source-file.ts';

/** Keys the importer converts; every other key gets a warning saying why it did not come along. */
const converted = new Set([
  'app',
  'repo_name',
  'tracking_branch',
  'hostnames',
  'rules',
  'environment_templates',
  'resources',
  'services',
  'jobs',
  'cron_jobs',
  'workflows',
  'app_imports',
  'datasets',
  'shared_volumes',
  'builds',
  'parameters',
  'ingress',
]);

/** Settings that only mean something on Release's hosted clusters, or features Slipway lacks. */
function noteFor(key: string, value: unknown): string | undefined {
  const text = scalarText(value);
  switch (key) {
    case 'context':
      return `context${text ? ` "${text}"` : ''} names the Release cluster; Slipway environments run on the server's runtime (spec.runtime: docker)`;
    case 'domain':
      return `domain${text ? ` "${text}"` : ''} is the base domain of Release's cluster; in Slipway \${domain} is the server's base domain`;
    case 'mode':
      return 'mode is a deprecated Release setting with no Slipway equivalent';
    case 'auto_deploy':
      return flag(value) === false
        ? 'auto_deploy: false has no Slipway equivalent: Slipway deploys each push to an environment\'s branch'
        : undefined;
    case 'tracking_tag':
      return `tracking_tag${text ? ` "${text}"` : ''}: Slipway environments track branches, not tags`;
    case 'execution_type':
      return `execution_type${text ? ` "${text}"` : ''} chooses between Release's server and runnable environments; Slipway environments are always servers`;
    case 'charts':
      return `Helm charts (${names(value)}) have no Slipway equivalent; their workflow tasks are dropped`;
    case 'infrastructure':
      return `infrastructure runners (${names(value)}), such as Terraform, have no Slipway equivalent; their workflow tasks are dropped`;
    case 'node_selector':
      return "node_selector places services on chosen Kubernetes nodes; the docker runtime has one engine, so it is dropped";
    case 'parallelize_app_imports':
      return 'parallelize_app_imports has no Slipway equivalent; imported applications deploy in order';
    case 'development_environment':
      return "development_environment configures Release's remote development; Slipway has no equivalent";
    case 'custom_links':
      return 'custom_links have no Slipway equivalent';
    case 'git_fetch_depth':
      return 'git_fetch_depth has no Slipway equivalent';
    case 'notifications':
      return 'notifications have no Slipway equivalent';
    case 'service_accounts':
      return 'Kubernetes service accounts have no Slipway equivalent';
    case 's3_volumes':
      return 'S3 volumes have no Slipway equivalent';
    default:
      return `"${key}" is not a Release template setting the importer knows; ignored`;
  }
}

function names(value: unknown): string {
  const list = Array.isArray(value) ? value : [];
  const found = list.map((item) => (isRawMap(item) ? scalarText(item.name) : scalarText(item))).filter(Boolean);
  return found.length ? found.join(', ') : describe(value);
}

export function reportTopLevelKeys(src: SourceFile, doc: RawMap): void {
  for (const [key, value] of Object.entries(doc)) {
    if (converted.has(key)) continue;
    const note = noteFor(key, value);
    if (note) src.warn([key], note);
  }
}
