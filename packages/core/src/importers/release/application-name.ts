import { toDnsLabel } from './names.ts';
import { scalarText, type RawMap } from './raw-values.ts';
import type { SourceFile } from './source-file.ts';

/**
 * The application's name: the one asked for, else Release's `app`, else the repository's name,
 * else the folder holding .release/ — each made a DNS label, which Slipway names must be.
 */
export function applicationName(src: SourceFile, requested: string | undefined, doc: RawMap, templateFile: string): string {
  const candidates: [string | undefined, string][] = [
    [requested, 'the requested name'],
    [scalarText(doc.app), 'app'],
    [scalarText(doc.repo_name)?.split('/').pop(), 'repo_name'],
    [folderOf(templateFile), 'the folder of the template'],
  ];
  for (const [raw, origin] of candidates) {
    if (raw === undefined) continue;
    const name = toDnsLabel(raw);
    if (!name) continue;
    if (name !== raw) {
      const path = origin === 'app' || origin === 'repo_name' ? [origin] : [];
      src.warn(path, `the application is named "${name}", from ${origin} ${JSON.stringify(raw)} (application names are lowercase DNS labels)`);
    }
    return name;
  }
  src.warn([], 'the template has no app or repo_name to name the application after; it is named "release-app" (pass a name to choose one)');
  return 'release-app';
}

/** "…/my-app/.release/application_template.yaml" → "my-app". */
function folderOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('.release');
  return at > 0 ? parts[at - 1] : undefined;
}
