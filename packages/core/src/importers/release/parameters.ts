import type { Parameters } from './env-vars.ts';
import { isRawMap, listAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/**
 * Release's template parameters are asked for when an environment is created and read as
 * ${parameters.name}. Slipway has no such prompt, so each use gets the parameter's default.
 */
export function readParameters(src: SourceFile, raw: unknown, path: Path): Parameters {
  const out: Parameters = new Map();
  listAt(src, raw, path, 'parameters').forEach((item, i) => {
    const name = isRawMap(item) ? scalarText(item.name) : undefined;
    if (!isRawMap(item) || !name) {
      src.warn([...path, i], 'a parameter needs a name; ignored');
      return;
    }
    out.set(name, item.default === undefined || item.default === null ? undefined : scalarText(item.default));
  });
  if (out.size) {
    const list = [...out].map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join(', ');
    src.warn(path, `parameters (${list}) are chosen when a Release environment is created; Slipway has no parameters, so their defaults are written where they are used`);
  }
  return out;
}
