import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const backend = 'http://127.0.0.1:3000';

export default defineConfig({
	// Resolved from this file so the config works whatever the working directory.
	root: fileURLToPath(new URL('.', import.meta.url)),
	plugins: [svelte()],
	// The one way the dashboard reaches server code: contracts (params, events, DTOs) and pure modules.
	resolve: { alias: { $server: fileURLToPath(new URL('../services', import.meta.url)) } },
	build: {
		outDir: 'dist',
		emptyOutDir: true,
	},
	server: {
		proxy: {
			'/api': backend,
			'/healthz': backend,
			'/ws': { target: backend, ws: true },
		},
	},
});
