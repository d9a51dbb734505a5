import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('health, metrics and the dashboard pages', () => {
	let db: TestDatabase;
	let node: TestNode;
	beforeAll(async () => {
		db = pgliteDatabase();
		node = await startNode({ db, settings: { gateway: { port: 0, host: '127.0.0.1', metricsToken: 'scrape-me' } } });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('reports live and ready', async () => {
		expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
		const ready = await fetch(`${node.url}/readyz`);
		expect(ready.status).toBe(200);
		expect(await ready.json()).toMatchObject({ status: 'ready' });
	});

	it('reports not ready once the database is gone', async () => {
		const { databaseOf } = await import('../../../mixins/orm.middleware.ts');
		const database = databaseOf(node.broker);
		const original = database.isReady;
		database.isReady = async () => false;
		try {
			expect((await fetch(`${node.url}/readyz`)).status).toBe(503);
		} finally {
			database.isReady = original;
		}
	});

	it('serves Prometheus text with the broker’s request metrics, to the metrics token only', async () => {
		await fetch(`${node.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.co","password":"nope"}' });
		expect((await fetch(`${node.url}/metrics`)).status).toBe(401);
		expect((await fetch(`${node.url}/metrics`, { headers: { authorization: 'Bearer guess' } })).status).toBe(401);
		const scrape = () => fetch(`${node.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
		expect((await scrape()).headers.get('content-type')).toMatch(/^text\/plain/);
		const text = await (await scrape()).text();
		expect(text).toMatch(/^# TYPE moleculer_request_total counter$/m);
		expect(text).toMatch(/moleculer_request_total\{[^}]*action="users\.login"/);
	});

	it('does not serve metrics at all without a metrics token', async () => {
		const plain = await startNode({ db: pgliteDatabase() });
		try {
			expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
		} finally {
			await plain.stop();
		}
	});

	it('serves the SPA for client-side routes, hashed assets as immutable, and 404 for missing files', async () => {
		const page = await fetch(`${node.url}/settings`);
		expect(page.status).toBe(200);
		expect(page.headers.get('content-type')).toMatch(/text\/html/);
		expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
		const html = await page.text();
		const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
		expect(asset).toBeDefined();
		const js = await fetch(`${node.url}${asset}`);
		expect(js.headers.get('cache-control')).toMatch(/immutable/);
		expect((await fetch(`${node.url}/assets/missing.js`)).status).toBe(404);
		expect((await fetch(`${node.url}/settings`, { method: 'POST' })).status).toBe(405);
	});
});
