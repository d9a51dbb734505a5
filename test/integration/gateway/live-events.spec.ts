import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe('events reach only their user’s open tabs over /ws', () => {
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

	it("delivers a settings change to both of the user's tabs and to nobody else", async () => {
		const alice = new Client(node.url);
		const aliceUser = await alice.register();
		const bob = new Client(node.url);
		await bob.register();
		const tab1 = await LiveSocket.open(node.url, { cookie: alice.cookie! });
		const tab2 = await LiveSocket.open(node.url, { cookie: alice.cookie! });
		const bobTab = await LiveSocket.open(node.url, { cookie: bob.cookie! });
		await Promise.all([tab1, tab2, bobTab].map(t => t.next(f => f.type === 'hello')));

		expect((await alice.patch('/api/me/settings', { timeZone: 'Asia/Kuala_Lumpur' })).status).toBe(200);
		for (const tab of [tab1, tab2]) {
			const frame = await tab.next(f => f.type === 'user.settings-changed');
			expect(frame.payload).toMatchObject({ userId: aliceUser.id, timeZone: 'Asia/Kuala_Lumpur' });
		}
		// Bob's own change arrives on his socket; nothing of Alice's came before it.
		await bob.patch('/api/me/settings', { timeZone: 'Europe/Paris' });
		await bobTab.next(f => f.type === 'user.settings-changed');
		expect(bobTab.frames.map(f => f.type)).toEqual(['hello', 'user.settings-changed']);
		expect(bobTab.frames[1].payload.timeZone).toBe('Europe/Paris');
		for (const t of [tab1, tab2, bobTab]) t.close();
	});

	it('works with an API token as well as the cookie', async () => {
		const owner = new Client(node.url);
		await owner.register();
		const { body } = await owner.post('/api/tokens', { name: 'socket' });
		const socket = await LiveSocket.open(node.url, { authorization: `Bearer ${body.token}` });
		await owner.patch('/api/me/settings', { timeZone: 'America/Sao_Paulo' });
		expect((await socket.next(f => f.type === 'user.settings-changed')).payload.timeZone).toBe('America/Sao_Paulo');
		socket.close();
	});

	it('refuses an upgrade without a credential (401) or with a cookie from another site (403)', async () => {
		await expect(LiveSocket.open(node.url)).rejects.toMatchObject({ status: 401 });
		const owner = new Client(node.url);
		await owner.register();
		await expect(LiveSocket.open(node.url, { cookie: owner.cookie!, origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
	});

	it('closes a socket opened with a bad token or a forged cookie (4001) before it sends anything', async () => {
		for (const headers of [{ authorization: 'Bearer fc_nope' }, { cookie: 'fc_session=forged' }] as Record<string, string>[]) {
			const socket = await LiveSocket.open(node.url, headers, { admitted: false });
			expect(await socket.waitClosed()).toMatchObject({ code: 4001, reason: 'Sign in first.' });
			expect(socket.frames).toEqual([]);
		}
	});

	it('answers pings, and closes a socket that sends garbage', async () => {
		const owner = new Client(node.url);
		await owner.register();
		const socket = await LiveSocket.open(node.url, { cookie: owner.cookie! });
		socket.ws.send(JSON.stringify({ type: 'ping' }));
		await socket.next(f => f.type === 'pong');
		socket.ws.send('not json');
		expect((await socket.waitClosed()).code).toBe(1003);
	});

	it('closes the sockets of a session when it logs out', async () => {
		const owner = new Client(node.url);
		await owner.register();
		const socket = await LiveSocket.open(node.url, { cookie: owner.cookie! });
		await socket.next(f => f.type === 'hello');
		await owner.post('/api/auth/logout');
		expect((await socket.waitClosed()).code).toBe(4001);
	});

	it('closes a socket that stopped reading, and keeps serving the others', async () => {
		const owner = new Client(node.url);
		const user = await owner.register();
		const healthy = await LiveSocket.open(node.url, { cookie: owner.cookie! });
		// A raw client that completes the handshake and then never reads again.
		const stalled = net.connect(node.port, '127.0.0.1');
		await new Promise<void>(resolve => stalled.once('connect', () => resolve()));
		stalled.write(
			'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
				`Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: ${owner.cookie}\r\n\r\n`,
		);
		await new Promise<void>(resolve => stalled.once('data', () => resolve()));
		stalled.pause();
		const gateway = node.broker.getLocalService('gateway') as unknown as { sockets: { count: number } };
		expect(gateway.sockets.count).toBe(2);
		// The paused client cannot notice; the server must drop it on its own.
		const stalledClosed = () => gateway.sockets.count === 1;
		// Large events, so the kernel buffers fill and the server-side backlog passes its 1 MiB limit.
		const bulky = { userId: user.id, timeZone: 'UTC', name: 'x'.repeat(64 * 1024) };
		let sent = 0;
		while (!stalledClosed() && sent < 1000) {
			node.broker.broadcast('user.settings-changed', bulky);
			sent += 1;
			await new Promise(r => setImmediate(r));
		}
		await vi.waitFor(() => expect(stalledClosed()).toBe(true), { timeout: 5000 });
		expect(sent).toBeLessThan(1000);
		await healthy.next(f => f.type === 'user.settings-changed');
		expect(healthy.closed).toBeUndefined();
		healthy.ws.send(JSON.stringify({ type: 'ping' }));
		await healthy.next(f => f.type === 'pong');
		stalled.destroy();
		healthy.close();
	});
});
