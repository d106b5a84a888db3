// The images a snapshot records for an application's commit (read by store/commit-images.ts): those the docker or kubernetes runtime
// built for it. A deploy's source (what the driver's prepareSource returned) holds the image of each
// service with a build — an engine id (docker) or a registry reference pinned by digest
// (kubernetes, `registry/app-web@sha256:…`, whose digest alone is the one image's digest); the last succeeded deploy of that commit, in any environment of the application
// (deleted ones too — the image stays on the engine as a cache), gives them. One image is the
// application's digest as it is; several are summed up in one digest over `service=id` lines.

import { createHash } from 'node:crypto';
import type { SnapshotComponent } from '@slipway/contract';

/** The component's image fields: `images` by service and `imageDigest`, or nothing when none was built. */
export function imageFields(images: Record<string, string> | undefined): Pick<SnapshotComponent, 'images' | 'imageDigest'> {
  const services = Object.keys(images ?? {}).sort();
  if (!images || services.length === 0) return {};
  const sorted = Object.fromEntries(services.map((s) => [s, images[s]!]));
  const imageDigest = services.length === 1 ? digestOf(images[services[0]!]!) : `sha256:${createHash('sha256').update(services.map((s) => `${s}=${images[s]}\n`).join('')).digest('hex')}`;
  return { images: sorted, imageDigest };
}

/** The digest of an image: an engine id as it is, a reference pinned by digest (`…@sha256:…`) its digest. */
function digestOf(image: string): string {
  const at = image.lastIndexOf('@');
  return at >= 0 ? image.slice(at + 1) : image;
}
