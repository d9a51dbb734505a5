import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** Whether a TCP server answers at the URL's host and port (NATS, Redis, …). */
export function serverReachable(url = 'nats://127.0.0.1:4222'): Promise<boolean> {
	const { hostname, port } = new URL(url);
	return new Promise(resolve => {
		const socket = net.connect(Number(port), hostname);
		socket.once('connect', () => (socket.destroy(), resolve(true)));
		socket.once('error', () => resolve(false));
	});
}

export interface NodeProcess {
	child: ChildProcess;
	output(): string;
	stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A Fleetcast node in its own process, started exactly as `npm start` starts one. */
export function spawnNode(services: string[], env: Record<string, string>): NodeProcess {
	const runner = path.join(ROOT, 'node_modules/moleculer/bin/moleculer-runner.mjs');
	const child = spawn(process.execPath, ['--import', 'tsx', runner, '--config', 'moleculer.config.ts', ...services], {
		cwd: ROOT,
		env: { ...process.env, LOG_LEVEL: 'info', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let log = '';
	child.stdout!.on('data', d => (log += d));
	child.stderr!.on('data', d => (log += d));
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	return {
		child,
		output: () => log,
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null) child.kill(signal);
			return exited;
		},
	};
}

/** Polls `url` until it answers 200, or fails with the node's output. */
export async function waitForReady(url: string, node: NodeProcess, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (node.child.exitCode !== null) throw new Error(`node exited early:\n${node.output()}`);
		try {
			if ((await fetch(url)).status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise(r => setTimeout(r, 200));
	}
	throw new Error(`not ready within ${timeoutMs} ms:\n${node.output()}`);
}
