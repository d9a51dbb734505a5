import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

/** A sign-in attempt as a client (or a proxy in front of it) would send it. */
function login(node: TestNode, email: string, password: string, headers: Record<string, string> = {}) {
	return fetch(`${node.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, password }) });
}
function register(node: TestNode, email: string, headers: Record<string, string> = {}) {
	return fetch(`${node.url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, name: 'N', password: 'a long enough password' }) });
}
const from = (forwardedFor: string, proto?: string) => ({ 'x-forwarded-for': forwardedFor, ...(proto ? { 'x-forwarded-proto': proto } : {}) });

describe('client addresses and protocol come from a proxy only when the operator trusts it (TRUST_PROXY)', () => {
	const db: Record<string, TestDatabase> = {};
	const nodes: Record<string, TestNode> = {};
	/** Three attempts per address; a registration limit of two per address. */
	const users = { loginMaxPerAddress: 3, registerMaxPerAddress: 2 };

	beforeAll(async () => {
		for (const [name, trustProxy] of [['direct', undefined], ['trusted', '127.0.0.1, ::1'], ['oneHop', '1'], ['backoff', '127.0.0.1, ::1']] as const) {
			db[name] = pgliteDatabase();
			const limits = name === 'backoff' ? { loginMaxPerAddress: 100, loginFreeFailures: 2, loginMaxPerEmail: 3 } : users;
			nodes[name] = await startNode({ db: db[name], settings: { users: limits, gateway: { port: 0, host: '127.0.0.1', trustProxy } } });
		}
	});
	afterAll(async () => {
		for (const name of Object.keys(nodes)) {
			await nodes[name].stop();
			await db[name].drop();
		}
	});

	it('by default ignores X-Forwarded-For: a new fake address per attempt does not escape the per-address limit', async () => {
		const statuses = [];
		for (let i = 1; i <= 4; i++) statuses.push((await login(nodes.direct, `nobody${i}@example.com`, 'wrong password', from(`203.0.113.${i}`))).status);
		expect(statuses).toEqual([401, 401, 401, 429]);
	});

	it('by default ignores X-Forwarded-Proto: a client saying https does not get a Secure cookie', async () => {
		const res = await register(nodes.direct, 'plain@example.com', from('203.0.113.9', 'https'));
		expect(res.status).toBe(201);
		expect(res.headers.get('set-cookie')).not.toMatch(/Secure/);
	});

	it('behind trusted proxies, takes the address the nearest untrusted party was seen at, whatever the client wrote before it', async () => {
		// Each attempt comes from another client: no per-address limit is reached.
		const spread = [];
		for (let i = 1; i <= 4; i++) spread.push((await login(nodes.trusted, `someone${i}@example.com`, 'wrong password', from(`198.51.100.${i}`))).status);
		expect(spread).toEqual([401, 401, 401, 401]);
		// One client forging a different leftmost address each time is still one client to the proxy.
		const forged = [];
		for (let i = 1; i <= 4; i++) forged.push((await login(nodes.trusted, `other${i}@example.com`, 'wrong password', from(`10.9.9.${i}, 198.51.100.50`))).status);
		expect(forged).toEqual([401, 401, 401, 429]);
		const res = await register(nodes.trusted, 'tls@example.com', from('198.51.100.60', 'https'));
		expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
	});

	it('with a hop count, the address the outermost proxy saw is the client’s', async () => {
		const statuses = [];
		for (let i = 1; i <= 4; i++) statuses.push((await login(nodes.oneHop, `hop${i}@example.com`, 'wrong password', from(`10.1.1.${i}, 192.0.2.77`))).status);
		expect(statuses).toEqual([401, 401, 401, 429]);
	});

	it('failed sign-ins back off one email from one address, doubling the wait; the owner elsewhere still signs in', async () => {
		const node = nodes.backoff;
		expect((await register(node, 'owner@example.com', from('198.51.100.200'))).status).toBe(201);
		const attacker = from('198.51.100.201');
		expect((await login(node, 'owner@example.com', 'guess 1', attacker)).status).toBe(401);
		expect((await login(node, 'owner@example.com', 'guess 2', attacker)).status).toBe(401);
		// Past the two free failures, even the right password waits from that address.
		const held = await login(node, 'owner@example.com', 'a long enough password', attacker);
		expect([held.status, held.headers.get('retry-after')]).toEqual([429, '1']);
		expect((await login(node, 'owner@example.com', 'a long enough password', from('198.51.100.202'))).status).toBe(200);
		await new Promise(resolve => setTimeout(resolve, 1_100));
		expect((await login(node, 'owner@example.com', 'guess 3', attacker)).status).toBe(401);
		const longer = await login(node, 'owner@example.com', 'guess 4', attacker);
		expect([longer.status, longer.headers.get('retry-after')]).toEqual([429, '2']);
	});

	it('stops guessing one email from many addresses, but never the owner at an address that has not failed', async () => {
		const node = nodes.backoff;
		expect((await register(node, 'target@example.com', from('198.51.100.210'))).status).toBe(201);
		for (const i of [211, 212, 213]) expect((await login(node, 'target@example.com', 'guess', from(`198.51.100.${i}`))).status).toBe(401);
		// Three failures of this email from everywhere: an address that has failed is now refused...
		expect((await login(node, 'target@example.com', 'guess again', from('198.51.100.211'))).status).toBe(429);
		// ...while the owner, at an address with no failure, signs in.
		expect((await login(node, 'target@example.com', 'a long enough password', from('198.51.100.210'))).status).toBe(200);
	});

	it('limits registrations per address', async () => {
		const node = nodes.trusted;
		const statuses = [];
		for (let i = 1; i <= 3; i++) statuses.push((await register(node, `new${i}@example.com`, from('198.51.100.150'))).status);
		expect(statuses).toEqual([201, 201, 429]);
		expect((await register(node, 'new4@example.com', from('198.51.100.151'))).status).toBe(201);
	});
});
