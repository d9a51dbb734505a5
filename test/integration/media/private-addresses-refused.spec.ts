import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { imageServer, mediaTestbed, type Caller, type ImageServer } from '../../helpers/media.ts';

describe.each(await databaseTargets())('image addresses on private networks are refused by default (%s)', target => {
	// Default settings, as `npm start` has them without MEDIA_URL_ALLOW_PRIVATE.
	const bed = mediaTestbed(target);
	let server: ImageServer;
	let user: Caller;

	beforeAll(async () => {
		expect(process.env.MEDIA_URL_ALLOW_PRIVATE ?? '').toBe('');
		const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c03' } }).png().toBuffer();
		server = await imageServer({ '/photo.png': (_, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png) });
		user = await bed.signUp();
	});
	afterAll(() => server?.close());

	it('refuses loopback, private and link-local addresses, by number or by name, without connecting', async () => {
		const port = server.port;
		const addresses = [
			`http://127.0.0.1:${port}/photo.png`,
			`http://localhost:${port}/photo.png`,
			`http://[::1]:${port}/photo.png`,
			`http://[::ffff:127.0.0.1]:${port}/photo.png`,
			`http://0x7f000001:${port}/photo.png`,
			`http://2130706433:${port}/photo.png`,
			'http://169.254.169.254/latest/meta-data/',
			'http://10.1.2.3/photo.png',
			'http://192.168.1.1/photo.png',
			'http://[fd00::1]/photo.png',
		];
		for (const url of addresses) {
			await expect(user.call('media.fromUrl', { url }), url).rejects.toMatchObject({ code: 422, type: 'PRIVATE_ADDRESS', message: expect.stringMatching(/is on a private or local network/) });
		}
		expect(server.requests).toEqual([]);
		expect(await bed.storedRows(user.id)).toEqual([]);
	});
});
