import type { BuildInput } from './manifest-input.ts';
import { describe, flag, isRawMap, listAt, repoRelative, scalarText, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

const buildKeys = new Set(['context', 'dockerfile', 'args', 'target', 'image', 'name']);

/** A Release `build` block as a Slipway build. */
export function convertBuild(src: SourceFile, raw: RawMap, path: Path): BuildInput {
  const build: BuildInput = {};
  const context = scalarText(raw.context);
  if (context !== undefined && repoRelative(context) !== '.') build.context = repoRelative(context);
  const dockerfile = scalarText(raw.dockerfile);
  if (dockerfile !== undefined && repoRelative(dockerfile) !== 'Dockerfile') build.dockerfile = repoRelative(dockerfile);
  const args = buildArgs(src, raw.args, [...path, 'args']);
  if (args) build.args = args;
  const target = scalarText(raw.target);
  if (target) build.target = target;
  for (const key of Object.keys(raw)) {
    if (!buildKeys.has(key)) src.warn([...path, key], `build field "${key}" has no Slipway equivalent; ignored`);
  }
  // Written out rather than left as {}, which reads like a forgotten value.
  return Object.keys(build).length ? build : rootBuild();
}

function rootBuild(): BuildInput {
  return { context: '.' };
}

/** Build arguments as Release writes them: a mapping, or a list of NAME=value. */
function buildArgs(src: SourceFile, raw: unknown, path: Path): Record<string, string | number | boolean> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const out: Record<string, string | number | boolean> = {};
  if (isRawMap(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
      else src.warn([...path, k], `build argument ${k} needs a text value, got ${describe(v)}; dropped`);
    }
  } else {
    listAt(src, raw, path, 'build arguments').forEach((item, i) => {
      const text = scalarText(item);
      const eq = text?.indexOf('=') ?? -1;
      if (text === undefined || eq <= 0) {
        src.warn([...path, i], `expected a build argument as NAME=value, got ${describe(item)}; dropped`);
        return;
      }
      out[text.slice(0, eq)] = text.slice(eq + 1);
    });
  }
  return Object.keys(out).length ? out : undefined;
}

/** An app-level `builds` entry: Release builds it and services use it by image name. */
interface AppBuild {
  name: string;
  images: string[];
  raw: RawMap;
  path: Path;
  used: boolean;
}

/**
 * Where the images of a Release template come from. Release names the images it builds
 * "<repo_name>/<name>" and services refer to them by that name, possibly several services to one
 * image (one builds it, the others reuse it), so an image is traced back to its build.
 */
export class ImageSources {
  private readonly appBuilds: AppBuild[] = [];
  /** Images built by a service's own `build` block: image → that block. */
  private readonly serviceBuilds = new Map<string, { raw: RawMap; path: Path }>();

  constructor(
    private readonly src: SourceFile,
    private readonly repoName: string | undefined,
  ) {}

  readAppBuilds(raw: unknown, path: Path): void {
    listAt(this.src, raw, path, 'builds').forEach((item, i) => {
      const name = isRawMap(item) ? scalarText(item.name) : undefined;
      if (!isRawMap(item) || !name) {
        this.src.warn([...path, i], 'a build needs a name; ignored');
        return;
      }
      const images = [scalarText(item.image), this.repoName ? `${this.repoName}/${name}` : undefined].filter((x): x is string => !!x);
      this.appBuilds.push({ name, images, raw: item, path: [...path, i], used: false });
    });
  }

  /** Remembers the image a service builds, so services that only name the image can build it too. */
  noteServiceBuild(image: string | undefined, build: unknown, path: Path): void {
    if (image && isRawMap(build) && !this.serviceBuilds.has(image)) this.serviceBuilds.set(image, { raw: build, path });
  }

  /** Image or build of a service (or the source for a job: an undefined build means "image as is"). */
  resolve(owner: RawMap, path: Path, ownerName: string): { image?: string; build?: BuildInput } {
    const image = scalarText(owner.image);
    if (isRawMap(owner.build)) {
      // The image name is Release's registry name for what it built; Slipway names its own builds.
      return { build: convertBuild(this.src, owner.build, [...path, 'build']) };
    }
    if (owner.build !== undefined && owner.build !== null) {
      this.src.warn([...path, 'build'], `expected build as a mapping of context, dockerfile and args, got ${describe(owner.build)}; ignored`);
    }
    const hasRepo = flag(owner.has_repo) === true;
    if (image) {
      const appBuild = this.appBuilds.find((b) => b.images.includes(image));
      if (appBuild) {
        appBuild.used = true;
        return { build: convertBuild(this.src.silent(), appBuild.raw, appBuild.path) };
      }
      const shared = this.serviceBuilds.get(image);
      if (shared) return { build: convertBuild(this.src.silent(), shared.raw, shared.path) };
      if (hasRepo && this.repoName && image.startsWith(`${this.repoName}/`)) {
        this.src.warn(
          [...path, 'image'],
          `Release built ${image} from the repository, with no build settings in the template; Slipway builds the Dockerfile at the repository root (set build.dockerfile if "${ownerName}" uses another)`,
        );
        return { build: rootBuild() };
      }
      if (hasRepo) {
        this.src.warn(
          [...path, 'image'],
          `Release built ${image} from a repository; Slipway pulls it as named, so push it to a registry or give "${ownerName}" a build`,
        );
      }
      return { image };
    }
    this.src.warn(path, `"${ownerName}" has no image and no build; Slipway builds the Dockerfile at the repository root (set image or build if that is not right)`);
    return { build: rootBuild() };
  }

  /** Builds no service used: Release built them for Helm charts or other runners. */
  reportUnused(): void {
    for (const b of this.appBuilds) {
      if (!b.used) this.src.warn(b.path, `build "${b.name}" is not the image of any service (Release used it for charts or runners); dropped`);
    }
  }
}
