import type { DatasetInput } from './manifest-input.ts';
import { toDnsLabel } from './names.ts';
import { describe, isRawMap, listAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** Release Instant Datasets attached to the environment, as workspace datasets of the same name. */
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
    // Release injects the dataset's connection settings under names of its own; Slipway's are fixed.
    src.warn(
      at,
      `dataset "${release}" becomes the workspace dataset "${name}" (create it in Slipway); its connection is injected as DATABASE_URL, DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER and DATABASE_PASSWORD, so map those to the names your services read`,
    );
    out.push({ name });
  });
  return out;
}
