import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	// The dashboard's modules reach server code as `$server/…` (web/vite.config.ts).
	resolve: { alias: { $server: fileURLToPath(new URL('./services', import.meta.url)) } },
	test: {
		include: ['test/**/*.spec.ts'],
		exclude: ['test/whatsapp-double/fixtures/**', 'node_modules/**'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// A condition polled in a browser test may take seconds on a busy 2-core machine.
		expect: { poll: { timeout: 10_000 } },
		// Two cores: files run two at a time; each integration file brings up its own database.
		maxWorkers: 2,
		pool: 'forks',
	},
});
