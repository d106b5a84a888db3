import type { AppImportInput } from './manifest-input.ts';
import { toDnsLabel } from './names.ts';
import { describe, isRawMap, listAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

const importKeys = new Set(['name', 'app', 'branch', 'exclude_services']);

/** Release's App Imports: other applications deployed into the same environment. */
export function convertAppImports(src: SourceFile, raw: unknown, path: Path, appName: string): AppImportInput[] {
  const out: AppImportInput[] = [];
  listAt(src, raw, path, 'app_imports').forEach((item, i) => {
    const at: Path = [...path, i];
    const entry = isRawMap(item) ? item : typeof item === 'string' ? { name: item } : undefined;
    const release = entry ? scalarText(entry.name ?? entry.app) : undefined;
    if (!entry || !release) {
      src.warn(at, `expected an app import as { name, branch, exclude_services }, got ${describe(item)}; ignored`);
      return;
    }
    const app = toDnsLabel(release);
    if (!app) {
      src.warn(at, `app import ${JSON.stringify(release)} has no usable name; ignored`);
      return;
    }
    if (app !== release) src.warn([...at, 'name'], `imported application "${release}" is referred to as "${app}" (Slipway application names are DNS labels); name it so when you import it`);
    if (app === appName) {
      src.warn(at, 'an application cannot import itself; dropped');
      return;
    }
    if (out.some((o) => o.app === app)) {
      src.warn(at, `"${app}" is imported twice; the second is dropped`);
      return;
    }
    const imported: AppImportInput = { app };
    const branch = scalarText(entry.branch);
    if (branch) imported.branch = branch;
    const excluded = listAt(src, entry.exclude_services, [...at, 'exclude_services'], 'exclude_services').flatMap((e, k) => {
      const name = scalarText(isRawMap(e) ? e.name : e);
      const label = name ? toDnsLabel(name) : '';
      if (!label) src.warn([...at, 'exclude_services', k], `expected a service name, got ${describe(e)}; ignored`);
      return label ? [label] : [];
    });
    if (excluded.length) imported.excludeServices = [...new Set(excluded)];
    for (const key of Object.keys(entry)) {
      if (!importKeys.has(key)) src.warn([...at, key], `app import field "${key}" has no Slipway equivalent; ignored`);
    }
    out.push(imported);
  });
  return out;
}
