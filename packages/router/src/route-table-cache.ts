import { readFile, rename, writeFile, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { routeChangeEvent, type RouteTableSnapshot } from '@slipway/contract';

// The last route table a standalone router knew, on disk, so that after a restart it serves the
// environments it served before even while the control plane is down. Written to a temporary file
// and renamed over the old one: a crash mid-write leaves the previous table, never half of one.

export async function writeRouteTableCache(file: string, snapshot: RouteTableSnapshot): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The cached snapshot, or undefined when there is none; a file that does not parse is reported, not trusted. */
export async function readRouteTableCache(file: string): Promise<{ snapshot?: RouteTableSnapshot; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read ${file}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${file} is not JSON` };
  }
  const parsed = routeChangeEvent.safeParse(json);
  if (!parsed.success || parsed.data.type !== 'snapshot') {
    return { problem: `${file} is not a route table snapshot${parsed.success ? '' : `: ${parsed.error.issues[0]?.message ?? ''}`}` };
  }
  return { snapshot: parsed.data };
}
