/** Names in a manifest are DNS labels (they become host names); Compose allows far more. */

const MAX_LABEL = 63;

/** Lowercases and replaces everything but letters and digits with "-": my_App.v2 → my-app-v2. Empty when nothing is left. */
export function toDnsLabel(raw: string): string {
  const label = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return label.length > MAX_LABEL ? label.slice(0, MAX_LABEL).replace(/-+$/, '') : label;
}

/** `base`, or `base-2`, `base-3`… when taken; records the result in `taken`. */
export function uniqueLabel(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `-${n}`;
    name = `${base.slice(0, MAX_LABEL - suffix.length).replace(/-+$/, '')}${suffix}`;
  }
  taken.add(name);
  return name;
}

/**
 * The application name a Compose file suggests when it has no `name:`: the file's own name
 * (`shop.yaml` → shop), or its folder's for the conventional names (`shop/docker-compose.yml` → shop).
 */
export function nameFromFile(file: string): string | undefined {
  const parts = file.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  const base = (parts.pop() ?? '').replace(/\.(ya?ml)$/i, '');
  if (!/^(docker-)?compose([.-].*)?$/i.test(base)) return base || undefined;
  const folder = parts.pop();
  return folder && folder !== '..' ? folder : undefined;
}
