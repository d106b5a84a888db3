// A static site on Kubernetes: its build output (made on the server's machine, as on the other
// runtimes) packed into an image on a small static file server — busybox's httpd — that runs as a
// Deployment behind a Service like any service, so a router inside the cluster reaches it by Service
// DNS and one outside by node port. The image is built and pushed by the same code as a service's
// `build`; its build hash covers the files served and the server image, so an unchanged site is
// the same image (the same digest) on every deploy.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StaticSpec } from '@slipway/contract';
import { STATIC_SITE_PORT } from './objects.ts';

/** The image the site's server runs on unless configured: busybox, for its httpd. */
export const DEFAULT_STATIC_SERVER_IMAGE = 'docker.io/library/busybox:1.37';

/**
 * The Dockerfile of a site's image. Files starting with a dot are left out of the image (the
 * router does not serve them either: build outputs sometimes carry a .env). A single-page app
 * answers unknown paths with index.html (busybox httpd's error page for 404).
 */
export function staticSiteDockerfile(serverImage: string, spec: Pick<StaticSpec, 'spa'>): string {
  const config = spec.spa ? ['COPY httpd.conf /etc/slipway/httpd.conf'] : [];
  const command = ['httpd', '-f', '-v', '-p', String(STATIC_SITE_PORT), '-h', '/site', ...(spec.spa ? ['-c', '/etc/slipway/httpd.conf'] : [])];
  return [`FROM ${serverImage}`, 'COPY site /site', ...config, `EXPOSE ${STATIC_SITE_PORT}`, `CMD ${JSON.stringify(command)}`, ''].join('\n');
}

export const SPA_HTTPD_CONFIG = 'E404:/site/index.html\n';

/**
 * Lays out the build context of a site's image under `contextDir` (replaced): site/ with the output
 * folder's files, the Dockerfile, and httpd.conf for a single-page app. Returns a hash of it all.
 */
export function prepareStaticSiteContext(outputDir: string, contextDir: string, serverImage: string, spec: Pick<StaticSpec, 'spa'>): string {
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(contextDir, { recursive: true });
  cpSync(outputDir, join(contextDir, 'site'), { recursive: true, dereference: true, filter: (source) => source === outputDir || !relative(outputDir, source).split(/[\\/]/).some((part) => part.startsWith('.')) });
  const dockerfile = staticSiteDockerfile(serverImage, spec);
  writeFileSync(join(contextDir, 'Dockerfile'), dockerfile);
  if (spec.spa) writeFileSync(join(contextDir, 'httpd.conf'), SPA_HTTPD_CONFIG);
  const hash = createHash('sha256').update(dockerfile).update(spec.spa ? SPA_HTTPD_CONFIG : '');
  for (const file of filesOf(join(contextDir, 'site'))) {
    hash.update(`${relative(contextDir, file)}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesOf(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
