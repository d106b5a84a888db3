// The portal is a browser application (entry: src/main.tsx) that the server builds with Vite and
// serves at / (docs/portal.md); no package imports it, so this entry point exports nothing.
export {};
