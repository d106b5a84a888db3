import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const manifestExtensions = /\.ya?ml$/i;

/**
 * The manifest files a path stands for: a file itself; a repository or application folder's
 * .slipway/ folder; otherwise every YAML file under the folder (not in node_modules or dot folders).
 */
export function manifestFilesOf(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return [path];
  const slipway = join(path, '.slipway');
  if (existsSync(slipway) && statSync(slipway).isDirectory()) return yamlFilesUnder(slipway);
  return yamlFilesUnder(path);
}

function yamlFilesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || (entry.name.startsWith('.') && entry.name !== '.slipway')) continue;
      found.push(...yamlFilesUnder(full));
    } else if (manifestExtensions.test(entry.name)) found.push(full);
  }
  return found;
}

/** A path as the user would recognise it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The manifest files a path stands for, read, each named as the user would recognise it; undefined when the path does not exist. */
export function readManifestFiles(path: string): { file: string; text: string }[] | undefined {
  let files: string[];
  try {
    files = manifestFilesOf(path);
  } catch {
    return undefined;
  }
  return files.map((f) => ({ file: displayPath(f), text: readFileSync(f, 'utf8') }));
}
