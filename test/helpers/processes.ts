import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { postgresDatabase, postgresReachable } from './databases.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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

/** Whether PostgreSQL, NATS and Redis answer for a cluster test; in CI their absence fails the run instead of skipping it. */
export async function clusterServersReachable(): Promise<boolean> {
	const available = (await postgresReachable()) && (await serverReachable(NATS_URL)) && (await serverReachable(REDIS_URL));
	if (!available && process.env.CI) throw new Error('The cluster test needs PostgreSQL, NATS and Redis; .ci/run should have started them.');
	return available;
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

export interface TestCluster {
	/** http://127.0.0.1:<port> of the `edge` node. */
	url: string;
	nodes: Record<string, NodeProcess>;
	/** The end of every node's output, for a failure message. */
	logs(tail?: number): string;
	stop(): Promise<void>;
}

/**
 * Node processes on a fresh PostgreSQL database, the local NATS and Redis, in a namespace of
 * their own so parallel runs never meet. `nodes` names each node's services by folder
 * (`gateway`, `devices`, …); the `edge` node serves HTTP. Resolves once the edge is ready.
 */
export async function startCluster(nodes: Record<string, string[]>, env: Record<string, string> = {}): Promise<TestCluster> {
	const db = await postgresDatabase();
	const port = await freePort();
	// Every test registers from 127.0.0.1 into the same Redis: the per-address limit on new accounts is not what these tests are about.
	const shared = { TRANSPORTER: NATS_URL, DATABASE_URL: db.databaseUrl!, REDIS_URL, NAMESPACE: `fc-test-${randomBytes(4).toString('hex')}`, REGISTER_MAX_PER_ADDRESS: '1000', ...env };
	const processes: Record<string, NodeProcess> = {};
	for (const [nodeId, services] of Object.entries(nodes)) {
		const http: Record<string, string> = nodeId === 'edge' ? { PORT: String(port), HOST: '127.0.0.1' } : {};
		processes[nodeId] = spawnNode(services.map(name => `services/${name}/${name}.service.ts`), { ...shared, NODE_ID: nodeId, ...http });
	}
	const cluster: TestCluster = {
		url: `http://127.0.0.1:${port}`,
		nodes: processes,
		logs: (tail = 6000) => Object.entries(processes).map(([name, node]) => `--- ${name}\n${node.output().slice(-tail)}`).join('\n'),
		async stop() {
			await Promise.all(Object.values(processes).map(node => node.stop()));
			await db.drop();
		},
	};
	await waitForReady(`${cluster.url}/readyz`, processes.edge).catch(async err => {
		await cluster.stop();
		throw err;
	});
	return cluster;
}
