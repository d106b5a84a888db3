export { importReleaseTemplate, type ReleaseImportInput } from './import-release-template.ts';
