/**
 * POST /api/leads/import of a generated CSV of N rows (default 100,000) over two devices, against
 * a node in its own process; then the same file again (every lead already stored), then the export.
 * One row in 1,000 is a bad number and one in 1,000 repeats an earlier lead. `--postgres` uses a
 * fresh database on the real PostgreSQL.
 *
 *   npx tsx bench/leads-import.ts [N] [--postgres]
 */
import { performance } from 'node:perf_hooks';
import { Client } from '../test/helpers/http.ts';
import { importCsv } from '../test/helpers/leads.ts';
import { cpuMeter, formatCpu } from './cpu.ts';
import { databaseFromArgs, startServer, stopOnInterrupt } from './server.ts';

const rows = Number(process.argv.slice(2).find(a => /^\d+$/.test(a)) ?? 100_000);

function generate(devices: string[]): string {
	const lines = ['name,phone,niche,target_status,triggers,device,notes'];
	for (let i = 0; i < rows; i++) {
		const n = i % 1000 === 999 ? i - 500 : i;
		const phone = i % 1000 === 500 ? '12345' : `01${[2, 3, 4, 6, 7, 9][n % 6]}-${String(1_000_000 + n).slice(-7)}`;
		lines.push(`Lead ${n},${phone},Niche ${n % 20};All,${n % 3 ? 'prospect' : 'customer'},welcome,${devices[n % 2]},note ${n}`);
	}
	return lines.join('\n') + '\n';
}

const database = databaseFromArgs();
const server = await startServer(database);
stopOnInterrupt(server);
try {
	const client = new Client(server.url);
	await client.register();
	await client.patch('/api/me/settings', { country: 'MY' });
	const devices: string[] = [];
	for (const name of ['Bench A', 'Bench B']) devices.push((await client.post<{ id: string }>('/api/devices', { name })).body.id);
	const csv = generate(['Bench A', 'Bench B']);

	const timed = async (label: string, run: () => Promise<{ status: number; body: any }>) => {
		const cpu = cpuMeter(server);
		const start = performance.now();
		const res = await run();
		const seconds = (performance.now() - start) / 1000;
		if (res.status !== 200) throw new Error(`${label} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
		return { seconds, cpu: cpu(), body: res.body };
	};

	const first = await timed('import', () => importCsv(client, csv));
	const again = await timed('re-import', () => importCsv(client, csv));
	const exported = await timed('export', () => client.get('/api/leads/export'));
	const counts = (b: { created: number; updated: number; rejected: number; merged: number }) =>
		`created ${b.created}, updated ${b.updated}, rejected ${b.rejected}, merged ${b.merged}`;
	const mib = (Buffer.byteLength(csv) / 1024 / 1024).toFixed(1);
	console.log(`leads-import [${database}] ${rows} rows (${mib} MiB): ${first.seconds.toFixed(2)} s (${counts(first.body)}); ${formatCpu(first.cpu)}`);
	console.log(`leads-import [${database}] same file again: ${again.seconds.toFixed(2)} s (${counts(again.body)}); ${formatCpu(again.cpu)}`);
	console.log(`leads-export [${database}] ${(exported.body as string).split('\r\n').length - 2} leads: ${exported.seconds.toFixed(2)} s; ${formatCpu(exported.cpu)}`);
} finally {
	await server.stop();
}
