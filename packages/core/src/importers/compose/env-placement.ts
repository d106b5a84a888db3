import type { EnvEntry } from './environment.ts';
import { referencedVariables, resolveComposeTemplate, toSlipwayTemplate, type ComposePart } from './interpolation.ts';
import type { EnvMapInput } from './manifest-input.ts';
import type { ComposePath, Reporter } from './reporter.ts';

export interface ServiceVariables {
  name: string;
  entries: Map<string, EnvEntry>;
}

export interface PlacedVariables {
  /** Each service's own variables, by service name; absent when it has none. */
  services: Map<string, EnvMapInput>;
  defaults: Record<string, string>;
  mapping: Record<string, string>;
}

/**
 * Decides where variables that use `${…}` go. Compose fills them once, from the shell, when it
 * starts; Slipway computes `spec.env.mapping` templates per environment, which is what such a value
 * means in an application that has many environments. A mapping applies to every service, though, so
 * a variable becomes a mapping only when every service that sets it sets it to the same template;
 * otherwise it is filled now, as Compose would, and a warning says so. Variables the templates read
 * (Compose's inputs: the shell and .env) are declared in `spec.env.defaults`, with the value from
 * .env when there is one and "" otherwise, so that each environment can give them a value.
 */
export function placeVariables(services: ServiceVariables[], dotenv: ReadonlyMap<string, string>, reporter: Reporter): PlacedVariables {
  const placed: PlacedVariables = { services: new Map(), defaults: {}, mapping: {} };
  const lookup = (name: string) => dotenv.get(name);
  const shared = sharedTemplates(services);
  const inputs = new Map<string, { path: ComposePath; hasDefault: boolean }>();
  // Values copied from .env, by where each is first used: they may be secrets, and a manifest is committed.
  const copied = new Map<string, ComposePath>();

  for (const [key, { template, entry }] of shared) {
    const [first] = entry.parts;
    const selfReference = entry.parts.length === 1 && first?.kind === 'ref' && first.name === key;
    if (selfReference) {
      // KEY=${KEY} passes a value through: in Slipway that is simply a variable every service receives.
      const hasDefault = first.operator === ':-' || first.operator === '-';
      placed.defaults[key] = dotenv.get(key) ?? (hasDefault ? resolveComposeTemplate(first.argument, lookup).value : '');
      if (dotenv.has(key)) copied.set(key, entry.path);
      if (!dotenv.has(key) && !hasDefault) {
        reporter.warn(
          entry.path,
          `${key} is passed through from the shell by Compose; it is declared as "" in spec.env.defaults, which every service receives — give it a value there or per environment`,
        );
      }
      continue;
    }
    placed.mapping[key] = template;
    for (const ref of referencedVariables(entry.parts)) noteInput(inputs, ref.name, entry.path, ref.hasDefault);
  }

  for (const service of services) {
    const env: EnvMapInput = {};
    for (const [key, entry] of service.entries) {
      if (entry.kind === 'value') env[key] = entry.value;
      else if (!shared.has(key)) env[key] = resolveNow(key, entry, services, lookup, reporter);
    }
    if (Object.keys(env).length) placed.services.set(service.name, env);
  }

  const known = new Set([...Object.keys(placed.mapping), ...Object.keys(placed.defaults)]);
  for (const env of placed.services.values()) for (const key of Object.keys(env)) known.add(key);
  for (const [name, { path, hasDefault }] of inputs) {
    if (known.has(name)) continue;
    const fromDotenv = dotenv.get(name);
    if (fromDotenv !== undefined) {
      placed.defaults[name] = fromDotenv;
      copied.set(name, path);
    } else if (!hasDefault) {
      placed.defaults[name] = '';
      reporter.warn(
        path,
        `\${${name}} has no value in the Compose file (Compose reads it from the shell or .env); it is declared as "" in spec.env.defaults — give it a value there or per environment`,
      );
    }
  }
  if (copied.size) {
    const names = [...copied.keys()];
    reporter.warn(
      [...copied.values()][0]!,
      `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} copied from .env into spec.env.defaults; move any secret among them to a workspace secret before committing the manifest`,
    );
  }
  return placed;
}

function noteInput(inputs: Map<string, { path: ComposePath; hasDefault: boolean }>, name: string, path: ComposePath, hasDefault: boolean): void {
  const seen = inputs.get(name);
  if (!seen) inputs.set(name, { path, hasDefault });
  else if (!hasDefault) seen.hasDefault = false;
}

type TemplateEntry = Extract<EnvEntry, { kind: 'template' }>;

/** Variables that every service setting them sets to one and the same expressible template. */
function sharedTemplates(services: ServiceVariables[]): Map<string, { template: string; entry: TemplateEntry }> {
  const candidates = new Map<string, { template: string; entry: TemplateEntry } | null>();
  for (const service of services) {
    for (const [key, entry] of service.entries) {
      const template = entry.kind === 'template' ? toSlipwayTemplate(entry.parts) : undefined;
      const seen = candidates.get(key);
      if (entry.kind !== 'template' || template === undefined || seen === null) candidates.set(key, null);
      else if (seen === undefined) candidates.set(key, { template, entry });
      else if (seen.template !== template) candidates.set(key, null);
    }
  }
  const shared = new Map<string, { template: string; entry: TemplateEntry }>();
  for (const [key, candidate] of candidates) if (candidate) shared.set(key, candidate);
  return shared;
}

function resolveNow(
  key: string,
  entry: TemplateEntry,
  services: ServiceVariables[],
  lookup: (name: string) => string | undefined,
  reporter: Reporter,
): string {
  const { value } = resolveComposeTemplate(entry.parts, lookup);
  const why =
    toSlipwayTemplate(entry.parts) === undefined
      ? `${entry.source} uses \${…:+…}, which Slipway's variable mappings cannot express`
      : `services ${services.filter((s) => s.entries.has(key)).map((s) => s.name).join(', ')} set ${key} differently, and a mapping in spec.env.mapping would apply to all of them`;
  reporter.warn(entry.path, `${why}; ${key} is filled now, as Compose would${unsetNote(entry.parts, lookup)}: ${JSON.stringify(value)}`);
  return value;
}

function unsetNote(parts: ComposePart[], lookup: (name: string) => string | undefined): string {
  const unset = [...new Set(referencedVariables(parts).map((r) => r.name))].filter((name) => lookup(name) === undefined);
  return unset.length ? ` with ${unset.join(', ')} unset` : ' from .env';
}
