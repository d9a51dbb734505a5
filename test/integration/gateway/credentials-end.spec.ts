import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlOf } from '../../../mixins/orm.middleware.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('a sign-in ends when it expires, and another site cannot start one', () => {
	let db: TestDatabase;
	let node: TestNode;

	beforeAll(async () => {
		db = pgliteDatabase();
		node = await startNode({ db });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	const expireIn = (table: 'sessions' | 'api_tokens', userId: string, ms: number) =>
		sqlOf(node.broker).execute(`update ${table} set expires_at = now() + ?::float8 * interval '1 millisecond' where user_id = ?`, [ms, userId]);

	it('closes a session’s socket at its expiry and refuses the session at once, whatever the cache remembers', async () => {
		const client = new Client(node.url);
		const user = await client.register();
		await expireIn('sessions', user.id, 1_500);
		const socket = await LiveSocket.open(node.url, { cookie: client.cookie! });
		// Read while valid: the gateway now remembers this cookie for a few seconds.
		expect((await client.get('/api/me')).status).toBe(200);
		expect(await socket.waitClosed(4_000)).toMatchObject({ code: 4001 });
		expect((await client.get('/api/me')).status).toBe(401);
	});

	it('refuses an API token the moment it expires', async () => {
		const owner = new Client(node.url);
		const user = await owner.register();
		const { body } = await owner.post('/api/tokens', { name: 'short', expiresInDays: 1 });
		await expireIn('api_tokens', user.id, 1_000);
		const program = new Client(node.url);
		program.bearer = body.token;
		expect((await program.get('/api/me')).status).toBe(200);
		await new Promise(resolve => setTimeout(resolve, 1_100));
		expect((await program.get('/api/me')).status).toBe(401);
	});

	it('refuses sign-in and registration from another site’s page, cookie or not; the own page and programs may', async () => {
		const bodies: Record<string, object> = {
			'/api/auth/register': { email: 'csrf@example.com', name: 'C', password: 'a long enough password' },
			'/api/auth/login': { email: 'csrf@example.com', password: 'a long enough password' },
		};
		const post = (path: string, headers: Record<string, string>) =>
			fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(bodies[path]) });
		const foreign = { origin: 'https://evil.example' };
		for (const path of ['/api/auth/register', '/api/auth/login']) {
			const res = await post(path, foreign);
			expect([path, res.status, res.headers.get('set-cookie')]).toEqual([path, 403, null]);
		}
		expect((await post('/api/auth/register', { origin: node.url })).status).toBe(201);
		// No Origin: a program, not a browser page.
		expect((await post('/api/auth/login', {})).status).toBe(200);
	});
});
