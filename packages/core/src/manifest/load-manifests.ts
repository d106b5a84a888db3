import {
  apiVersions,
  formatPath,
  manifestKinds,
  manifestSchemas,
  type ApiVersion,
  type ApplicationManifest,
  type Diagnostic,
  type Manifest,
  type ManifestKind,
  type ParseResult,
} from '@slipway/contract';
import { checkApplication } from '../application/application-checks.ts';
import { managedWorkflowProblems } from '../release/managed-step-references.ts';
import { parseYamlFile, positionOf, positionWithin, type YamlDocument, type YamlFile } from '../yaml/yaml-file.ts';
import { didYouMean } from './did-you-mean.ts';
import { pruneToValid, startsWith } from './prune-invalid.ts';
import { describeValue, describeZodIssues, type DocumentIssue } from './zod-issues.ts';

/** One manifest read from a file, with the means to point back into it. */
export interface LoadedManifest {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  manifest: Manifest;
  /** Turns a problem at a path of this document into a diagnostic with line and column. */
  locate(issue: DocumentIssue): Diagnostic;
}

/**
 * Reads every manifest of a YAML file (several may be separated by ---): shape, then meaning.
 * Never throws on user input; a document with errors is left out of `value`.
 */
export function loadManifestText(text: string, file: string): ParseResult<LoadedManifest[]> {
  const parsed = parseYamlFile(text, file);
  if (!parsed.value) return { errors: parsed.errors, warnings: parsed.warnings };
  const errors: Diagnostic[] = [...parsed.errors];
  const warnings: Diagnostic[] = [...parsed.warnings];
  const loaded: LoadedManifest[] = [];
  if (parsed.value.documents.length === 0) {
    warnings.push({ severity: 'warning', file, message: 'the file holds no manifest' });
  }
  for (const document of parsed.value.documents) {
    const locate = locator(parsed.value, document);
    const result = loadDocument(document.value);
    for (const issue of result.issues) (issue.severity === 'error' ? errors : warnings).push(locate(issue));
    if (result.manifest && !result.issues.some((i) => i.severity === 'error')) {
      loaded.push({ file, index: document.index, manifest: result.manifest, locate });
    }
  }
  return { value: loaded, errors: sortDiagnostics(errors), warnings: sortDiagnostics(warnings) };
}

/** Orders diagnostics by file, line and column, as a reader goes through the files. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}

function locator(file: YamlFile, document: YamlDocument): (issue: DocumentIssue) => Diagnostic {
  return (issue) => {
    const position = issue.within ? positionWithin(document.doc, file, issue.path, issue.within) : positionOf(document.doc, file.lineCounter, issue.path, { key: issue.atKey });
    return {
      severity: issue.severity,
      file: file.file,
      ...position,
      ...(issue.path.length ? { path: formatPath(issue.path) } : {}),
      message: issue.message,
    };
  };
}

/** Checks one document: which kind it is, its shape against that kind's schema, then its meaning. */
export function loadDocument(value: unknown): { manifest?: Manifest; issues: DocumentIssue[] } {
  const error = (path: (string | number)[], message: string, atKey = false): { issues: DocumentIssue[] } => ({
    issues: [{ severity: 'error', path, message, atKey }],
  });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return error([], `expected a manifest (a mapping with apiVersion, kind, metadata and spec), got ${describeValue(value)}`);
  }
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  if (apiVersion === undefined) return error([], `missing apiVersion: expected ${apiVersions.map((v) => `"${v}"`).join(' or ')}`);
  if (typeof apiVersion !== 'string' || !(apiVersions as readonly string[]).includes(apiVersion)) {
    return error(['apiVersion'], `unknown apiVersion ${describeValue(apiVersion)}; expected ${apiVersions.map((v) => `"${v}"`).join(' or ')}`);
  }
  if (kind === undefined) return error([], `missing kind: expected one of ${manifestKinds.join(', ')}`);
  const schemas = manifestSchemas[apiVersion as ApiVersion];
  if (typeof kind !== 'string' || !(manifestKinds as readonly string[]).includes(kind)) {
    return error(['kind'], `unknown kind ${describeValue(kind)}${typeof kind === 'string' ? didYouMean(kind, manifestKinds) : ''}; expected one of ${manifestKinds.join(', ')}`);
  }
  const schema = schemas[kind as ManifestKind];
  if (!schema) {
    return error(['kind'], `${apiVersion} has no kind ${kind}; write it with apiVersion: slipway.dev/v1 (${apiVersion} has ${Object.keys(schemas).join(', ')})`);
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) {
    const manifest = result.data as Manifest;
    return { manifest, issues: checkMeaning(manifest) };
  }
  // Shape errors: still check the meaning of what is valid, so every mistake is reported at once.
  const issues = describeZodIssues(schema, result.error.issues);
  const { data, pruned } = pruneToValid(schema, value);
  if (data) {
    const drawnFromPruned = (i: DocumentIssue) => [i.path, ...(i.basis ?? [])].some((b) => pruned.some((p) => startsWith(b, p) || startsWith(p, b)));
    const semantic = checkMeaning(data as Manifest).filter((i) => !drawnFromPruned(i));
    issues.push(...semantic);
  }
  return { issues };
}

function checkMeaning(manifest: Manifest): DocumentIssue[] {
  if (manifest.kind === 'Application') return checkApplication((manifest as ApplicationManifest).spec, manifest.metadata.name);
  if (manifest.kind === 'ReleasePlanAdmission') return managedWorkflowProblems(manifest.spec);
  return [];
}
