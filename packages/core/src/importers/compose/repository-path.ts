/**
 * Paths in a Compose file are relative to the file. The importer takes the file's folder as the
 * repository root, since Slipway builds and mounts from the environment's checkout of the repository.
 */

/** An absolute, home-relative or Windows path: somewhere on the machine that ran Compose. */
export function isHostPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('~') || /^[A-Za-z]:[\\/]/.test(source) || source.startsWith('\\\\');
}

/** `./a/../b/` → `b`; `.` → `.`; undefined when the path climbs out of the Compose file's folder. */
export function repositoryPath(relative: string): string | undefined {
  const parts: string[] = [];
  for (const part of relative.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length ? parts.join('/') : '.';
}
