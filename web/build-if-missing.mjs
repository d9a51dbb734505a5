// Builds the dashboard once so `npm start` and `npm test` can serve it; later runs reuse web/dist.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(webDir);

if (!existsSync(path.join(webDir, 'dist', 'index.html'))) {
	const binary = process.platform === 'win32' ? 'vite.cmd' : 'vite';
	const vite = path.join(repoRoot, 'node_modules', '.bin', binary);
	const result = spawnSync(vite, ['build', '--config', path.join(webDir, 'vite.config.ts')], {
		cwd: repoRoot,
		stdio: 'inherit',
		// The vite binary starts with `#!/usr/bin/env node`: make that the node running this script.
		env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` },
		shell: process.platform === 'win32',
	});
	if (result.error) {
		console.error(`Could not run ${vite}: ${result.error.message}`);
		process.exit(1);
	}
	if (result.status !== 0) process.exit(result.status ?? 1);
}
