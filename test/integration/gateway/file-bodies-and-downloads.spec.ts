import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'moleculer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSchema, type DownloadMeta, type FleetServiceSchema } from '../../../mixins/service-schema.ts';
import GatewayService from '../../../services/gateway/gateway.service.ts';
import UsersService from '../../../services/users/users.service.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { Client } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const CSV_LIMIT = 1_000;
const IMAGE_LIMIT = 4_000;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Routes of each body kind and both kinds of download, answering with what they were given. */
const FilesProbe: FleetServiceSchema = {
	name: 'files-probe',
	actions: {
		csv: {
			rest: 'POST /probe/csv',
			body: 'csv',
			handler: (ctx: Context<{ csv: string; tag?: string }>) => ({ csv: ctx.params.csv, tag: ctx.params.tag ?? null }),
		},
		image: {
			rest: 'POST /probe/image',
			body: 'image',
			handler(ctx: Context<{ data: string; contentType: string }>) {
				const bytes = Buffer.from(ctx.params.data, 'base64');
				return { contentType: ctx.params.contentType, size: bytes.length, sha256: sha(bytes), data: ctx.params.data };
			},
		},
		binary: {
			rest: 'POST /probe/echo-image',
			body: 'image',
			handler(ctx: Context<{ data: string; contentType: string }, DownloadMeta>) {
				ctx.meta.$responseType = ctx.params.contentType;
				ctx.meta.$responseHeaders = { 'Content-Disposition': 'inline; filename="echo"', 'Cache-Control': 'private, max-age=60' };
				return { $binary: ctx.params.data };
			},
		},
		text: {
			rest: 'GET /probe/report',
			handler(ctx: Context<unknown, DownloadMeta>) {
				ctx.meta.$responseType = 'text/csv; charset=utf-8';
				ctx.meta.$responseHeaders = { 'Content-Disposition': 'attachment; filename="report.csv"' };
				return 'name,city\nÅsa,Malmö\n';
			},
		},
	},
};

describe('the gateway takes CSV and image bodies and answers downloads as raw bytes', () => {
	let db: TestDatabase;
	let node: TestNode;
	let client: Client;

	beforeAll(async () => {
		db = pgliteDatabase();
		node = await startNode({
			db,
			services: [asSchema(UsersService), asSchema(GatewayService), asSchema(FilesProbe)],
			settings: { gateway: { bodyLimits: { json: 1024 * 1024, csv: CSV_LIMIT, image: IMAGE_LIMIT } } },
		});
		client = new Client(node.url);
		await client.register();
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('hands a CSV body over as text with the BOM stripped, query params beside it', async () => {
		const body = '\uFEFFname,phone\n"Siti, Aminah",+60123456789\n';
		const res = await client.request('POST', '/api/probe/csv?tag=first', body, { 'content-type': 'text/csv; charset=utf-8' });
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ csv: 'name,phone\n"Siti, Aminah",+60123456789\n', tag: 'first' });
		const plain = await client.request('POST', '/api/probe/csv', 'a,b\n', { 'content-type': 'text/plain' });
		expect(plain.body.csv).toBe('a,b\n');
	});

	it('refuses a CSV over its own limit with 413 and a JSON body on a CSV route with 415', async () => {
		const big = await client.request('POST', '/api/probe/csv', 'x'.repeat(CSV_LIMIT + 1), { 'content-type': 'text/csv' });
		expect(big.status).toBe(413);
		expect(big.body.error).toMatchObject({ code: 'BODY_TOO_LARGE', message: expect.stringContaining(String(CSV_LIMIT)) });
		const json = await client.post('/api/probe/csv', { csv: 'a,b' });
		expect(json.status).toBe(415);
		expect(json.body.error.message).toMatch(/text\/csv/);
	});

	it('hands an image over as base64 with its type, byte for byte', async () => {
		const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(1_500)]);
		const res = await fetch(`${node.url}/api/probe/image`, { method: 'POST', headers: { cookie: client.cookie!, 'content-type': 'image/png' }, body: png });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ contentType: 'image/png', size: png.length, sha256: sha(png) });
	});

	it('refuses other types with 415 naming the accepted ones, and images over the limit with 413', async () => {
		const svg = await client.request('POST', '/api/probe/image', '<svg/>', { 'content-type': 'image/svg+xml' });
		expect(svg.status).toBe(415);
		expect(svg.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringMatching(/JPEG, PNG, GIF or WebP/) });
		const untyped = await client.request('POST', '/api/probe/image', 'abc', { 'content-type': 'application/octet-stream' });
		expect(untyped.status).toBe(415);
		const big = await fetch(`${node.url}/api/probe/image`, {
			method: 'POST',
			headers: { cookie: client.cookie!, 'content-type': 'image/jpeg' },
			body: randomBytes(IMAGE_LIMIT + 1),
		});
		expect(big.status).toBe(413);
		expect((await big.json()).error.code).toBe('BODY_TOO_LARGE');
	});

	it('sends a { $binary } result as the bytes, with the type and headers the action chose', async () => {
		const gif = Buffer.concat([Buffer.from('GIF89a'), randomBytes(2_000)]);
		const res = await fetch(`${node.url}/api/probe/echo-image`, { method: 'POST', headers: { cookie: client.cookie!, 'content-type': 'image/gif' }, body: gif });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('image/gif');
		expect(res.headers.get('content-disposition')).toBe('inline; filename="echo"');
		expect(res.headers.get('cache-control')).toBe('private, max-age=60');
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(gif));
	});

	it('sends a string result as UTF-8 text, and keeps JSON for every other route', async () => {
		const res = await fetch(`${node.url}/api/probe/report`, { headers: { cookie: client.cookie! } });
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(res.headers.get('content-disposition')).toBe('attachment; filename="report.csv"');
		expect(await res.text()).toBe('name,city\nÅsa,Malmö\n');
		const me = await client.get('/api/me');
		expect(me.headers.get('content-type')).toBe('application/json; charset=utf-8');
		const form = await client.request('POST', '/api/auth/login', 'email=a', { 'content-type': 'application/x-www-form-urlencoded' });
		expect(form.status).toBe(415);
	});
});
