import type { EnvMapInput, EnvValueInput } from './manifest-input.ts';
import { describe, isRawMap, listAt, mapAt, scalarText } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';
import { convertTemplate, hasReferences, type VariableContext } from './variables.ts';

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A value read from one of Release's secret vaults: $secrets.aws./openai/api-token. */
const vaultReference = /^\$\{?secrets\.([a-z0-9_-]+)\.(.+?)\}?$/i;
/** A template parameter, filled in when a Release environment is created: ${parameters.llm}. */
const parameterReference = /\$\{parameters\.([A-Za-z0-9_-]+)\}/g;

interface Entry {
  value: unknown;
  secret: boolean;
  src: SourceFile;
  path: Path;
}

/** Release's template parameters, by name, with their default values. */
export type Parameters = Map<string, string | undefined>;

/**
 * The variables of an application, gathered from Release's two places for them (the template's
 * `envs` lists and environment_variables.yaml) and handed out per scope: "defaults", a service or a
 * job. A value that reads other variables cannot be a plain Slipway variable; it goes to
 * spec.env.mapping, which Slipway renders for every service.
 */
export class EnvironmentVariables {
  private readonly scopes = new Map<string, Map<string, Entry>>();
  private readonly mapping = new Map<string, { template: string; src: SourceFile; path: Path; scope: string }>();
  /** Plain variables written to the manifest, with where each came from. */
  private readonly written: { key: string; entry: Entry }[] = [];

  constructor(
    private readonly variables: VariableContext,
    private readonly parameters: Parameters,
  ) {}

  /** Reads a list of { key, value, secret } (or a plain mapping) into a scope; later values of a key win. */
  addList(scope: string, raw: unknown, src: SourceFile, path: Path): void {
    const entries = this.scopes.get(scope) ?? new Map<string, Entry>();
    this.scopes.set(scope, entries);
    const seen = new Set<string>();
    const add = (key: string, entry: Entry) => {
      if (!variableName.test(key)) {
        src.warn(entry.path, `variable name ${JSON.stringify(key)} is not letters, digits and "_" (not starting with a digit); dropped`);
        return;
      }
      if (seen.has(key)) src.warn(entry.path, `variable ${key} is set twice in this list; the later value is kept`);
      seen.add(key);
      entries.delete(key);
      entries.set(key, entry);
    };
    if (isRawMap(raw)) {
      for (const [key, value] of Object.entries(raw)) add(key, { value, secret: false, src, path: [...path, key] });
      return;
    }
    listAt(src, raw, path, 'variables').forEach((item, i) => {
      const at: Path = [...path, i];
      const key = isRawMap(item) ? scalarText(item.key) : undefined;
      if (!isRawMap(item) || key === undefined) {
        src.warn(at, `expected a variable as { key, value }, got ${describe(item)}; ignored`);
        return;
      }
      add(key, { value: item.value, secret: item.secret === true, src, path: at });
    });
  }

  /** Release's `mapping`: variables computed from others, RELEASE_ENV_ID or "$WEB_INGRESS_URL/api". */
  addMapping(raw: unknown, src: SourceFile, path: Path): void {
    const map = mapAt(src, raw, path, 'mapping');
    if (!map) return;
    for (const [key, value] of Object.entries(map)) {
      const at: Path = [...path, key];
      const text = scalarText(value);
      if (!variableName.test(key) || text === undefined) {
        src.warn(at, `mapping ${JSON.stringify(key)} needs a variable name and a text value; dropped`);
        continue;
      }
      // Release's documentation writes the mapped variable by its bare name (YOUR_ENV: RELEASE_ENV_ID).
      const source = variableName.test(text) && /^[A-Z_][A-Z0-9_]*$/.test(text) ? `\${${text}}` : text;
      this.addTemplate(key, source, src, at, 'defaults');
    }
  }

  /** The plain variables of a scope; those computed from other variables go to the mapping. */
  take(scope: string, owner: string): EnvMapInput | undefined {
    const entries = this.scopes.get(scope);
    if (!entries) return undefined;
    const env: EnvMapInput = {};
    for (const [key, entry] of entries) {
      const value = this.plainValue(key, entry, scope, owner);
      if (value === undefined) continue;
      env[key] = value;
      this.written.push({ key, entry });
    }
    return Object.keys(env).length ? env : undefined;
  }

  /**
   * Reports variables that take the place of one Slipway injects (WEB_HOST, SLIPWAY_BRANCH): Release
   * injected WEB_INGRESS_HOST instead, so such names were free there and mean something else here.
   */
  reportShadowing(injected: Map<string, string>): void {
    const reported = new Set<string>();
    for (const { key, entry } of this.written) {
      const what = injected.get(key);
      if (!what || reported.has(`${entry.src.file} ${key}`)) continue;
      reported.add(`${entry.src.file} ${key}`);
      entry.src.warn(entry.path, `${key} is also a variable Slipway injects (${what}); the value set here takes its place wherever it is set`);
    }
  }

  mappingResult(): Record<string, string> | undefined {
    if (this.mapping.size === 0) return undefined;
    return Object.fromEntries([...this.mapping].map(([key, m]) => [key, m.template]));
  }

  private plainValue(key: string, entry: Entry, scope: string, owner: string): EnvValueInput | undefined {
    const { src, path } = entry;
    if (entry.secret) {
      src.warn(path, `${key} is a secret: its value is not copied into the manifest; store it in the workspace secret "${key}"`);
      return { secret: key };
    }
    const value = entry.value;
    if (value === undefined || value === null) return '';
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    if (typeof value !== 'string') {
      src.warn(path, `${key} has ${describe(value)} as its value; a variable holds text, so it is dropped`);
      return undefined;
    }
    const vault = vaultReference.exec(value.trim());
    if (vault) {
      src.warn(path, `${key} reads ${vault[2]} from Release's ${vault[1]} secrets vault; store its value in the workspace secret "${key}"`);
      return { secret: key };
    }
    const text = this.fillParameters(value, src, path);
    if (!hasReferences(text)) return text;
    this.addTemplate(key, text, src, path, scope, owner);
    return undefined;
  }

  private fillParameters(value: string, src: SourceFile, path: Path): string {
    return value.replace(parameterReference, (_match, name: string) => {
      const fallback = this.parameters.get(name);
      if (fallback === undefined) {
        src.warn(path, `\${parameters.${name}} is a Release template parameter without a default; Slipway has no parameters, so it is left empty`);
        return '';
      }
      src.warn(path, `\${parameters.${name}} is a Release template parameter; Slipway has none, so its default ${JSON.stringify(fallback)} is written in`);
      return fallback;
    });
  }

  private addTemplate(key: string, text: string, src: SourceFile, path: Path, scope: string, owner?: string): void {
    const converted = convertTemplate(text, this.variables);
    if (converted.unsupported.length) {
      src.warn(path, `${key} is dropped: ${converted.unsupported.join('; ')}`);
      return;
    }
    if (converted.reads.includes(key)) {
      src.warn(path, `${key} is set from itself (${text}), a value Release took from outside the template; set ${key} per environment or as a workspace secret`);
      return;
    }
    for (const note of converted.notes) src.warn(path, note);
    const existing = this.mapping.get(key);
    if (existing && existing.template !== converted.template) {
      src.warn(path, `${key} is also computed as ${JSON.stringify(existing.template)} elsewhere; Slipway's env.mapping holds one template per variable, so that one is kept`);
      return;
    }
    if (owner && scope !== 'defaults') {
      src.warn(
        path,
        `${key} of ${owner} is computed from other variables (${text}); Slipway computes such variables in spec.env.mapping as ${JSON.stringify(converted.template)}, for every service`,
      );
    }
    this.mapping.set(key, { template: converted.template, src, path, scope });
  }
}

const envFileKeys = new Set(['defaults', 'services', 'mapping']);

/** What environment_variables.yaml holds besides variables, with why it cannot come along. */
export function reportEnvFileExtras(src: SourceFile, doc: Record<string, unknown>): void {
  for (const key of Object.keys(doc)) {
    if (envFileKeys.has(key)) continue;
    if (key === 'gitops') {
      src.warn([key], "gitops settings (such as immutable_keys) govern Release's GitOps editing of variables; Slipway has no equivalent, they are dropped");
    } else {
      src.warn([key], `"${key}" is not a section of environment_variables.yaml that Slipway knows (defaults, services, mapping); ignored`);
    }
  }
}
