import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The portal's build. The server builds it with this config (packages/server/src/portal/portal-build.ts)
// and serves it at /; `npm run dev -w @slipway/web` serves it with hot reload against a server on :4400.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': process.env.SLIPWAY_URL ?? 'http://localhost:4400' } },
});
