import type { ComposePath, Reporter } from './reporter.ts';
import { isHostPath, repositoryPath } from './repository-path.ts';
import type { ServiceVolumes } from './volumes.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/** The top-level `secrets` and `configs` of the Compose file, by name. */
export interface FileDefinitions {
  secrets: Record<string, unknown>;
  configs: Record<string, unknown>;
}

const KINDS = {
  secrets: { noun: 'secret', folder: '/run/secrets/' },
  configs: { noun: 'config', folder: '/' },
} as const;

/**
 * A secret or config defined by a `file:` is a file of the repository mounted read-only into the
 * container (at /run/secrets/<name>, or /<name> for a config): exactly a volume of type repo, so the
 * many images that read `*_FILE` paths keep working. Secrets and configs that come from a variable,
 * inline content or outside Compose have no equivalent and get a warning.
 */
export function convertFileMounts(
  service: Record<string, unknown>,
  path: ComposePath,
  definitions: FileDefinitions,
  volumes: ServiceVolumes,
  reporter: Reporter,
  warnedSecrets: Set<string>,
): void {
  for (const kind of ['secrets', 'configs'] as const) {
    const raw = service[kind];
    if (raw === undefined || raw === null) continue;
    const { noun, folder } = KINDS[kind];
    if (!Array.isArray(raw)) {
      reporter.error([...path, kind], `expected a list of ${kind}, got ${describeValue(raw)}`);
      continue;
    }
    raw.forEach((item, i) => {
      const at = [...path, kind, i];
      const source = isRecord(item) ? scalarText(item.source) : scalarText(item);
      if (!source) {
        reporter.error(at, `expected a ${noun} name or { source, target }, got ${describeValue(item)}`);
        return;
      }
      const target = isRecord(item) ? scalarText(item.target) : undefined;
      const mountPath = target?.startsWith('/') ? target : `${folder}${target ?? source}`;
      if (!(source in definitions[kind])) {
        reporter.error(at, `${noun} "${source}" is not defined under the top-level ${kind}`);
        return;
      }
      const definition = definitions[kind][source];
      const file = isRecord(definition) ? scalarText(definition.file) : undefined;
      if (file === undefined) {
        reporter.warn(at, `${noun} "${source}" ${origin(definition)}, which has no equivalent; nothing is mounted at ${mountPath} — ${advice(kind)}`);
        return;
      }
      const inRepository = isHostPath(file) ? undefined : repositoryPath(file);
      if (inRepository === undefined) {
        reporter.warn(at, `${noun} "${source}" is the file ${file}, outside the repository; nothing is mounted at ${mountPath} — ${advice(kind)}`);
        return;
      }
      volumes.add({ mountPath, type: 'repo', source: inRepository, readOnly: true }, `${noun}-${source}`, at);
      if (kind === 'secrets' && !warnedSecrets.has(source)) {
        warnedSecrets.add(source);
        reporter.warn(
          at,
          `secret "${source}" is mounted at ${mountPath} from ${inRepository} in the repository, as Compose does; anyone who can read the repository can read it — for a real secret, ${advice(kind)}`,
        );
      }
    });
  }
}

function origin(definition: unknown): string {
  if (!isRecord(definition)) return 'has no file';
  if (definition.environment !== undefined) return `comes from the variable ${String(definition.environment)} of the shell that runs Compose`;
  if (definition.content !== undefined) return 'is written inline in the Compose file';
  if (definition.external !== undefined && definition.external !== false) return 'is managed outside Compose';
  return 'has no file';
}

function advice(kind: 'secrets' | 'configs'): string {
  return kind === 'secrets'
    ? 'store the value as a workspace secret and give it to the service as a variable: env: { NAME: { secret: name } }'
    : 'put the file in the repository and mount it with a volume of type repo';
}
