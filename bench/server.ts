import { createDatabase, type TestDatabase } from '../test/helpers/databases.ts';
import { freePort, spawnNode, waitForReady } from '../test/helpers/processes.ts';
import { processCpuSeconds } from './cpu.ts';

export interface BenchServer {
	url: string;
	db: TestDatabase;
	/** The node's log so far (warnings and errors only). */
	output(): string;
	/** CPU seconds (user + system) the node process has used so far. */
	cpuSeconds(): number;
	/** Stops the node with SIGTERM and removes its database. Returns the exit code. */
	stop(): Promise<number | null>;
}

/**
 * A Fleetcast node in its own process, started as `npm start` starts one, so the load generator
 * never shares its event loop. Embedded PGlite in a fresh folder, or a fresh PostgreSQL database.
 */
export async function startServer(database: TestDatabase['name'] = 'pglite'): Promise<BenchServer> {
	const db = await createDatabase(database);
	const port = await freePort();
	const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: db.dataDir, LOG_LEVEL: 'warn' };
	if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
	// SERVER_CPU_PROF=<dir> writes a V8 CPU profile of the node there when it stops.
	if (process.env.SERVER_CPU_PROF) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${process.env.SERVER_CPU_PROF}`;
	const node = spawnNode(['services/**/*.service.ts'], env);
	const url = `http://127.0.0.1:${port}`;
	try {
		await waitForReady(`${url}/readyz`, node);
	} catch (err) {
		await node.stop('SIGKILL');
		await db.drop();
		throw err;
	}
	return {
		url,
		db,
		output: node.output,
		cpuSeconds: () => processCpuSeconds(node.child.pid!),
		async stop() {
			const code = await node.stop();
			await db.drop();
			return code;
		},
	};
}

export function databaseFromArgs(): TestDatabase['name'] {
	return process.argv.includes('--postgres') ? 'postgres' : 'pglite';
}

/** Stops the server on Ctrl-C too, so no node or database is left behind. */
export function stopOnInterrupt(server: BenchServer): void {
	process.once('SIGINT', () => void server.stop().finally(() => process.exit(130)));
}
