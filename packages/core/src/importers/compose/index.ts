export { importCompose, type ComposeImportInput } from './import-compose.ts';
