// Builds the dashboard when web/dist is missing or older than its sources, so `npm start` and
// `npm test` always serve the dashboard of this checkout; an up-to-date build is reused.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(webDir);
const builtAt = path.join(webDir, 'dist', 'index.html');

/** Newest modification time under these paths (the SPA imports some server modules too). */
function newest(paths) {
	let latest = 0;
	for (const entry of paths) {
		if (!existsSync(entry)) continue;
		const stat = statSync(entry);
		if (stat.isDirectory()) latest = Math.max(latest, newest(readdirSync(entry).map(name => path.join(entry, name))));
		else latest = Math.max(latest, stat.mtimeMs);
	}
	return latest;
}

const sources = [path.join(webDir, 'src'), path.join(webDir, 'index.html'), path.join(webDir, 'vite.config.ts'), path.join(repoRoot, 'services')];
if (!existsSync(builtAt) || newest(sources) > statSync(builtAt).mtimeMs) {
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
