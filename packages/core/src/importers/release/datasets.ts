import type { DatasetInput } from './manifest-input.ts';
import { toDnsLabel } from './names.ts';
import { describe, isRawMap, listAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/**
 * Release Instant Datasets attached to the environment, as Slipway datasets of the same name. A
 * Release template names its datasets only (their source lives in Release's account settings), so
 * each reads its source URL from a secret named after it, which the user sets once.
 */
export function convertDatasets(src: SourceFile, raw: unknown, path: Path): DatasetInput[] {
  const out: DatasetInput[] = [];
  listAt(src, raw, path, 'datasets').forEach((item, i) => {
    const at: Path = [...path, i];
    const release = scalarText(isRawMap(item) ? item.name : item);
    const name = release ? toDnsLabel(release) : '';
    if (!name) {
      src.warn(at, `expected a dataset name, got ${describe(item)}; ignored`);
      return;
    }
    if (out.some((d) => d.name === name)) {
      src.warn(at, `dataset "${name}" is attached twice; the second is dropped`);
      return;
    }
    // Release injects the dataset's connection settings under names of its own; Slipway's default to DATABASE_*.
    const secret = `dataset-${name}-url`.slice(0, 63);
    // Two datasets cannot both inject DATABASE_*: the second and later ones are prefixed with their name.
    const envPrefix = out.length === 0 ? 'DATABASE' : name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const names = ['URL', 'HOST', 'PORT', 'NAME', 'USER', 'PASSWORD'].map((part) => `${envPrefix}_${part}`);
    src.warn(
      at,
      `dataset "${release}" becomes the dataset "${name}", copied from the PostgreSQL URL in the secret ${secret} (set it with \`slipway secrets set ${secret}\`, or give another source); its connection is injected as ${names.slice(0, -1).join(', ')} and ${names.at(-1)} (rename them with envPrefix or env)`,
    );
    out.push({ name, source: { url: { secret } }, ...(out.length === 0 ? {} : { envPrefix }) });
  });
  return out;
}
