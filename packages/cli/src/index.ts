export { main, buildProgram } from './main.ts';
export type { CommandIO } from './io.ts';
