import type { StaticInput } from './manifest-input.ts';
import { repoRelative, scalarText, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** The keys Release's static services use; services.ts must not report them as unknown. */
export const staticKeys = ['static', 'build_base', 'build_command', 'build_output_directory', 'build_package_install_command', 'build_directory'];

/**
 * `static: true` as a Slipway static site, built and served by the router. Without a build command
 * and an output folder there is nothing to serve, and the service stays a container.
 */
export function staticSite(src: SourceFile, raw: RawMap, path: Path): StaticInput | undefined {
  if (raw.static !== true && raw.static !== 'true') return undefined;
  const build = nonEmpty(raw.build_command);
  const output = nonEmpty(raw.build_output_directory) ?? nonEmpty(raw.build_directory);
  if (!build || !output) {
    src.warn([...path, 'static'], `static: true needs build_command and build_output_directory to make a static site; "${scalarText(raw.name)}" is run as a container instead`);
    return undefined;
  }
  const install = nonEmpty(raw.build_package_install_command);
  if (!install) {
    src.warn([...path, 'static'], 'Release installs the packages before build_command; Slipway runs only what it is given, so add static.install (for example npm ci) if the build needs them');
  }
  const workdir = nonEmpty(raw.build_base);
  return {
    ...(install ? { install } : {}),
    build,
    output: repoRelative(output),
    ...(workdir && repoRelative(workdir) !== '.' ? { workdir: repoRelative(workdir) } : {}),
  };
}

function nonEmpty(value: unknown): string | undefined {
  const text = scalarText(value)?.trim();
  return text ? text : undefined;
}
