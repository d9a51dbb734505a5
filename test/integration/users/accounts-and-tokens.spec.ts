import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseTargets, type TestDatabase } from '../../helpers/databases.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe.each(await databaseTargets())('accounts, sessions and API tokens over HTTP (%s)', target => {
	let db: TestDatabase;
	let node: TestNode;

	beforeAll(async () => {
		db = await createDatabase(target);
		node = await startNode({ db, env: { sessionTtlDays: 30 } });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('registers, signs in with the cookie, and reads /api/me', async () => {
		const browser = new Client(node.url);
		const user = await browser.register({ email: 'Owner@Example.com', timeZone: 'asia/kuala_lumpur' });
		expect(user).toMatchObject({ email: 'owner@example.com', timeZone: 'Asia/Kuala_Lumpur' });
		expect(browser.cookie).toMatch(/^fc_session=/);
		const me = await browser.get('/api/me');
		expect(me.status).toBe(200);
		expect(me.body).toEqual({ id: user.id, email: 'owner@example.com', name: 'Test User', timeZone: 'Asia/Kuala_Lumpur', country: null, greetings: {}, readReceipts: true, typing: true, createdAt: expect.any(String) });
		expect(JSON.stringify(me.body)).not.toMatch(/password/i);
	});

	it('sets the session cookie HttpOnly and SameSite=Lax, and not Secure on a client’s word alone', async () => {
		const res = await fetch(`${node.url}/api/auth/register`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
			body: JSON.stringify({ email: 'tls@example.com', name: 'T', password: 'long enough pw' }),
		});
		const cookie = res.headers.get('set-cookie') ?? '';
		expect(cookie).toMatch(/HttpOnly/);
		expect(cookie).toMatch(/SameSite=Lax/);
		// No trusted proxy is configured: the header is the client's own claim (behind-a-proxy.spec.ts trusts one).
		expect(cookie).not.toMatch(/Secure/);
	});

	it('refuses a second account with the same email, whatever its case', async () => {
		await new Client(node.url).register({ email: 'dup@example.com' });
		const again = await new Client(node.url).post('/api/auth/register', { email: 'DUP@example.com', name: 'X', password: 'another password' });
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe('EMAIL_TAKEN');
	});

	it('explains bad registrations field by field and writes nothing', async () => {
		const client = new Client(node.url);
		const res = await client.post('/api/auth/register', { email: 'not-an-email', name: '', password: 'short' });
		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe('VALIDATION_ERROR');
		expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['email', 'name', 'password']);
		const wrongTypes = await client.post('/api/auth/register', { email: 42, name: ['a'], password: true });
		expect(wrongTypes.status).toBe(400);
		const unknownField = await client.post('/api/auth/register', { email: 'ok@example.com', name: 'Ok', password: 'long enough pw', isAdmin: true });
		expect(unknownField.status).toBe(400);
		const badZone = await client.post('/api/auth/register', { email: 'ok@example.com', name: 'Ok', password: 'long enough pw', timeZone: 'Mars/Olympus' });
		expect(badZone.status).toBe(400);
		expect(badZone.body.error.fields[0].field).toBe('timeZone');
		// None of the refused attempts left an account behind.
		const login = await client.post('/api/auth/login', { email: 'ok@example.com', password: 'long enough pw' });
		expect(login.status).toBe(401);
	});

	it('rejects malformed JSON, non-object bodies, other content types and oversized bodies', async () => {
		const client = new Client(node.url);
		expect((await client.request('POST', '/api/auth/login', '{"email":')).status).toBe(400);
		expect((await client.request('POST', '/api/auth/login', '[1,2]')).body.error.code).toBe('BAD_JSON');
		const form = await client.request('POST', '/api/auth/login', 'email=a', { 'content-type': 'application/x-www-form-urlencoded' });
		expect(form.status).toBe(415);
		const huge = await client.request('POST', '/api/auth/login', JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) }));
		expect(huge.status).toBe(413);
		expect(huge.body.error.code).toBe('BODY_TOO_LARGE');
		// The node still answers after all of that.
		expect((await client.get('/healthz')).status).toBe(200);
	});

	it('answers a wrong password with 401 and then backs off that email from that address with 429', async () => {
		const owner = new Client(node.url);
		await owner.register({ email: 'target@example.com' });
		const attacker = new Client(node.url);
		const statuses: number[] = [];
		for (let i = 0; i < 5; i++) statuses.push((await attacker.post('/api/auth/login', { email: 'target@example.com', password: `guess-${i}-xxxx` })).status);
		expect(statuses).toEqual([401, 401, 401, 401, 401]);
		const limited = await attacker.post('/api/auth/login', { email: 'target@example.com', password: 'correct horse battery' });
		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
		expect(limited.body.error.code).toBe('TOO_MANY_ATTEMPTS');
	});

	it('logs out: the cookie is cleared and the old session no longer works', async () => {
		const browser = new Client(node.url);
		await browser.register();
		const oldCookie = browser.cookie!;
		const out = await browser.post('/api/auth/logout');
		expect(out.status).toBe(204);
		expect(browser.cookie).toBeUndefined();
		const replay = new Client(node.url);
		replay.cookie = oldCookie;
		expect((await replay.get('/api/me')).status).toBe(401);
	});

	it('refuses an expired session and sweeps it from the table', async () => {
		const browser = new Client(node.url);
		const user = await browser.register();
		const { databaseOf } = await import('../../../mixins/orm.middleware.ts');
		const connection = databaseOf(node.broker).orm.em.getConnection();
		await connection.execute(`update sessions set expires_at = now() - interval '1 second' where user_id = ?`, [user.id]);
		// The gateway may remember the cookie for a few seconds; a fresh lookup must refuse it.
		const gateway = node.broker.getLocalService('gateway') as unknown as { credentials: { forget(kind: string, hash: string): void } };
		const [{ token_hash: hash }] = await connection.execute(`select token_hash from sessions where user_id = ?`, [user.id]);
		gateway.credentials.forget('session', hash);
		expect((await browser.get('/api/me')).status).toBe(401);
		expect(await node.broker.call('users.sweepSessions')).toBeGreaterThanOrEqual(1);
		expect(await connection.execute(`select 1 from sessions where user_id = ?`, [user.id])).toEqual([]);
	});

	it('creates an API token shown once, lists it without the secret, and revokes it', async () => {
		const browser = new Client(node.url);
		const user = await browser.register();
		const created = await browser.post('/api/tokens', { name: 'CRM sync' });
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^fc_/), name: 'CRM sync' });
		const program = new Client(node.url);
		program.bearer = created.body.token;
		const me = await program.get('/api/me');
		expect(me.status).toBe(200);
		expect(me.body.id).toBe(user.id);
		const list = await browser.get('/api/tokens');
		expect(list.body).toHaveLength(1);
		expect(JSON.stringify(list.body)).not.toContain(created.body.token);
		expect(list.body[0].lastUsedAt).not.toBeNull();
		expect((await browser.delete(`/api/tokens/${created.body.id}`)).status).toBe(204);
		const after = await program.get('/api/me');
		expect(after.status).toBe(401);
		expect(after.body.error.message).toMatch(/revoked/);
		expect((await browser.get('/api/tokens')).body).toEqual([]);
	});

	it('refuses an expired token', async () => {
		const browser = new Client(node.url);
		await browser.register();
		const created = await browser.post('/api/tokens', { name: 'short-lived', expiresInDays: 1 });
		const { databaseOf } = await import('../../../mixins/orm.middleware.ts');
		await databaseOf(node.broker).orm.em.getConnection().execute(`update api_tokens set expires_at = now() - interval '1 minute' where id = ?`, [created.body.id]);
		const program = new Client(node.url);
		program.bearer = created.body.token;
		expect((await program.get('/api/me')).status).toBe(401);
	});

	it("never shows or revokes another user's token (404)", async () => {
		const alice = new Client(node.url);
		await alice.register();
		const token = await alice.post('/api/tokens', { name: 'alice' });
		const bob = new Client(node.url);
		await bob.register();
		expect((await bob.get('/api/tokens')).body).toEqual([]);
		expect((await bob.delete(`/api/tokens/${token.body.id}`)).status).toBe(404);
		expect((await alice.get('/api/tokens')).body).toHaveLength(1);
		expect((await bob.delete('/api/tokens/not-a-uuid')).status).toBe(400);
	});

	it('updates the time zone and refuses unknown zones', async () => {
		const browser = new Client(node.url);
		await browser.register();
		const ok = await browser.patch('/api/me/settings', { timeZone: 'Europe/Lisbon' });
		expect(ok.status).toBe(200);
		expect(ok.body.timeZone).toBe('Europe/Lisbon');
		expect((await browser.get('/api/me')).body.timeZone).toBe('Europe/Lisbon');
		const bad = await browser.patch('/api/me/settings', { timeZone: 'Nowhere/Atlantis' });
		expect(bad.status).toBe(400);
		expect((await browser.get('/api/me')).body.timeZone).toBe('Europe/Lisbon');
	});

	it('needs a session or token on user routes and refuses cross-site writes', async () => {
		const anonymous = new Client(node.url);
		expect((await anonymous.get('/api/me')).status).toBe(401);
		expect((await anonymous.get('/api/tokens')).body.error.code).toBe('UNAUTHENTICATED');
		const browser = new Client(node.url);
		await browser.register();
		const crossSite = await browser.request('POST', '/api/tokens', { name: 'x' }, { origin: 'https://evil.example' });
		expect(crossSite.status).toBe(403);
		expect((await browser.get('/api/tokens')).body).toEqual([]);
	});

	it('answers unknown routes with 404 and wrong methods with 405', async () => {
		const client = new Client(node.url);
		expect((await client.get('/api/nope')).status).toBe(404);
		const wrong = await client.request('PUT', '/api/me');
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get('allow')).toBe('GET');
	});
});
