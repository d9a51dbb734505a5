import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/databases.ts';
import { freePort } from '../helpers/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('npm run repl', () => {
	const dataDir = tempDir();
	afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

	it('calls actions from the Moleculer REPL, acting for a user given in meta', async () => {
		const port = await freePort();
		const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
		const repl = spawn(npm, ['run', '--silent', 'repl'], {
			cwd: ROOT,
			env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', TRANSPORTER: '', NO_COLOR: '1' },
			stdio: ['pipe', 'pipe', 'pipe'],
		});
		let out = '';
		const plain = (d: Buffer) => String(d).replace(/\x1b\[[0-9;]*m/g, '');
		repl.stdout.on('data', d => (out += plain(d)));
		repl.stderr.on('data', d => (out += plain(d)));
		const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
			const deadline = Date.now() + timeoutMs;
			while (!pattern.test(out)) {
				if (Date.now() > deadline || repl.exitCode !== null) throw new Error(`REPL never printed ${pattern}:\n${out}`);
				await new Promise(r => setTimeout(r, 100));
			}
			return pattern.exec(out)!;
		};
		try {
			await waitFor(/mol \$/);
			repl.stdin.write('call users.register --email repl@example.com --name Rey --password "a long password"\n');
			const [, id] = await waitFor(/id: '([0-9a-f-]{36})'/);
			repl.stdin.write(`call users.updateSettings --timeZone Asia/Tokyo --#user.id ${id}\n`);
			await waitFor(/timeZone: 'Asia\/Tokyo'/);
			repl.stdin.write('call users.me\n');
			await waitFor(/Sign in first/);
		} finally {
			repl.stdin.write('exit\n');
			await new Promise(resolve => repl.once('exit', resolve));
		}
	}, 90_000);
});
