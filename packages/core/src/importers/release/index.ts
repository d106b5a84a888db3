export { importReleaseTemplate, type ReleaseImportInput } from './import-release-template.ts';
export { readReleasePointer, type ReleasePointer } from './pointer-file.ts';
