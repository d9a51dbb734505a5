/**
 * GET /api/me with an API token: 100 keep-alive connections, 15 s measured after a 3 s warm-up,
 * against a node in its own process. `--postgres` uses a fresh database on the real PostgreSQL.
 *
 *   npx tsx bench/api-me.ts [--postgres]
 */
import autocannon from 'autocannon';
import { Client } from '../test/helpers/http.ts';
import { cpuMeter, formatCpu } from './cpu.ts';
import { databaseFromArgs, startServer, stopOnInterrupt } from './server.ts';

const CONNECTIONS = 100;
const WARMUP_SECONDS = 3;
const MEASURE_SECONDS = 15;
const TARGET_RPS = 10_000;

const database = databaseFromArgs();
const server = await startServer(database);
stopOnInterrupt(server);
try {
	const client = new Client(server.url);
	const user = await client.register();
	const created = await client.post<{ token: string }>('/api/tokens', { name: 'bench' });
	if (created.status !== 201) throw new Error(`token creation failed: ${created.status} ${JSON.stringify(created.body)}`);

	const load = (duration: number) =>
		autocannon({
			url: `${server.url}/api/me`,
			connections: CONNECTIONS,
			duration,
			headers: { authorization: `Bearer ${created.body.token}` },
		});

	const check = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${created.body.token}` } });
	const me = (await check.json()) as { id?: string };
	if (check.status !== 200 || me.id !== user.id) throw new Error(`GET /api/me answered ${check.status} ${JSON.stringify(me)}`);

	await load(WARMUP_SECONDS);
	const cpu = cpuMeter(server);
	const r = await load(MEASURE_SECONDS);
	const share = cpu();

	const failures = r.non2xx + r.errors + r.timeouts;
	const codes = Object.entries(r.statusCodeStats).map(([code, { count }]) => `${code}×${count}`).join(' ');
	console.log(
		`api-me [${database}] ${Math.round(r.requests.average)} req/s (target ≥ ${TARGET_RPS}), ` +
			`latency p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms, ${r.requests.total} requests, ` +
			`non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts} [${codes}]; ` +
			formatCpu(share),
	);
	if (failures > 0) process.exitCode = 1;
} finally {
	const code = await server.stop();
	const log = server.output().trim();
	if (log) console.error(`server output:\n${log}`);
	if (code !== 0) console.error(`server exited with ${code}`);
}
