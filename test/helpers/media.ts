import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceBroker } from 'moleculer';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { databaseOf } from '../../mixins/orm.middleware.ts';
import { asSchema } from '../../mixins/service-schema.ts';
import MediaService from '../../services/media/media.service.ts';
import UsersService from '../../services/users/users.service.ts';
import { createDatabase, type TestDatabase } from './databases.ts';
import { startNode, type TestNode } from './node.ts';

export interface Caller {
	id: string;
	/** Calls an action as this user: its answer and the meta it set (`$statusCode`, `$responseType`). */
	call<T = any>(action: string, params?: object): Promise<{ result: T; meta: Record<string, unknown> }>;
}

export interface MediaTestbed {
	db: TestDatabase;
	node: TestNode;
	/** A new account, created through the users service. */
	signUp(): Promise<Caller>;
	/** Rows of `media` in the database, optionally of one user. */
	storedRows(userId?: string): Promise<{ id: string; size: number; bytes: number; original_name: string | null }[]>;
}

/** A node with the users and media services on a fresh database, for the tests of one file. */
export function mediaTestbed(target: TestDatabase['name'], media: Record<string, unknown> = {}): MediaTestbed {
	const bed = {} as MediaTestbed;
	beforeAll(async () => {
		bed.db = await createDatabase(target);
		bed.node = await startNode({ db: bed.db, services: [asSchema(UsersService), asSchema(MediaService)], settings: { media } });
	});
	afterAll(async () => {
		await bed.node?.stop();
		await bed.db?.drop();
	});
	bed.signUp = () => signUp(bed.node.broker);
	bed.storedRows = userId =>
		databaseOf(bed.node.broker)
			.orm.em.getConnection()
			.execute(`select id, size, octet_length(bytes) as bytes, original_name from media ${userId ? 'where user_id = ?' : ''} order by created_at`, userId ? [userId] : []);
	return bed;
}

async function signUp(broker: ServiceBroker): Promise<Caller> {
	const email = `media-${Math.random().toString(36).slice(2, 10)}@example.com`;
	const { user } = await broker.call<{ user: { id: string } }, object>('users.register', { email, name: 'Media User', password: 'correct horse battery' });
	return {
		id: user.id,
		async call(action, params = {}) {
			const meta: Record<string, unknown> = { user: { id: user.id } };
			const result = await broker.call(action, params, { meta });
			return { result: result as never, meta };
		},
	};
}

/** A noisy photo-sized JPEG: well over 350 KB, as phones make them. */
export function noisyPhoto(width = 2400, height = 1800): Promise<Buffer> {
	return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
		.jpeg({ quality: 92 })
		.toBuffer();
}

export interface ImageServer {
	url: string;
	port: number;
	/** Requests it received, by path. */
	requests: string[];
	close(): Promise<void>;
}

/** A local HTTP server answering each path with its handler (404 for others). */
export async function imageServer(routes: Record<string, http.RequestListener>): Promise<ImageServer> {
	const requests: string[] = [];
	const server = http.createServer((req, res) => {
		requests.push(req.url ?? '');
		const handler = routes[new URL(req.url ?? '/', 'http://x').pathname];
		if (handler) return handler(req, res);
		res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		requests,
		close: () =>
			new Promise<void>(resolve => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
