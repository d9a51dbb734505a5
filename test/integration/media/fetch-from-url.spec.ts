import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { imageServer, mediaTestbed, type Caller, type ImageServer } from '../../helpers/media.ts';

const LIMIT = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0xff);

describe.each(await databaseTargets())('an image is fetched from an address, within limits (%s)', target => {
	// The server below is on loopback, which is refused unless allowed (see private-addresses-refused).
	const bed = mediaTestbed(target, { allowPrivateUrls: true, urlLimitBytes: LIMIT, urlTimeoutMs: 1_500 });
	let server: ImageServer;
	let user: Caller;
	let endlessBytesSent = 0;

	beforeAll(async () => {
		const png = await sharp({ create: { width: 1200, height: 900, channels: 4, background: { r: 40, g: 90, b: 160, alpha: 0.5 } } }).png().toBuffer();
		server = await imageServer({
			'/photos/beach%20day.png': (_, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
			'/page.html': (_, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><body><img src="/photo.png"></body></html>'),
			'/fake.jpg': (_, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html>not really a jpeg</html>'),
			'/declared-huge.jpg': (_, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(50 * LIMIT) }).end(),
			// No length given: it would send 50 MB if nobody stopped reading.
			'/endless.jpg': (_, res) => {
				res.writeHead(200, { 'content-type': 'image/jpeg' });
				const pump = () => {
					while (endlessBytesSent < 50 * LIMIT && !res.destroyed) {
						endlessBytesSent += CHUNK.length;
						if (!res.write(CHUNK)) return void res.once('drain', pump);
					}
					res.end();
				};
				pump();
			},
			'/stalls.jpg': (_, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).write(CHUNK.subarray(0, 100)),
			'/hop1': (_, res) => res.writeHead(302, { location: '/hop2' }).end(),
			'/hop2': (_, res) => res.writeHead(301, { location: `${server.url}/photos/beach%20day.png` }).end(),
			'/loop': (_, res) => res.writeHead(307, { location: '/loop' }).end(),
		});
		user = await bed.signUp();
	});
	afterAll(() => server?.close());

	const fetchImage = (url: string) => user.call('media.fromUrl', { url });

	it('stores the image an address serves, re-encoded like an upload, named after the file', async () => {
		const { result: image, meta } = await fetchImage(`${server.url}/photos/beach%20day.png`);
		expect(meta.$statusCode).toBe(201);
		expect(image).toMatchObject({ contentType: 'image/jpeg', width: 1200, height: 900, url: `/api/media/${image.id}` });
		expect(image.size).toBeLessThanOrEqual(350 * 1024);
		expect((await bed.storedRows(user.id)).find(row => row.id === image.id)?.original_name).toBe('beach day.png');
		// Fetched again, it is the same image.
		expect((await fetchImage(`${server.url}/photos/beach%20day.png`)).result.id).toBe(image.id);
	});

	it('follows a few redirects, and refuses a loop', async () => {
		expect((await fetchImage(`${server.url}/hop1`)).result).toMatchObject({ width: 1200, height: 900 });
		await expect(fetchImage(`${server.url}/loop`)).rejects.toMatchObject({ code: 422, type: 'TOO_MANY_REDIRECTS' });
	});

	it('refuses a web page before reading it, and a file that only claims to be an image', async () => {
		await expect(fetchImage(`${server.url}/page.html`)).rejects.toMatchObject({
			code: 422,
			type: 'NOT_AN_IMAGE',
			message: 'The address gives text/html, not an image. Use the address of the image itself.',
		});
		await expect(fetchImage(`${server.url}/fake.jpg`)).rejects.toMatchObject({ code: 422, type: 'NOT_AN_IMAGE' });
	});

	it('stops downloading at the size limit, declared or not', async () => {
		await expect(fetchImage(`${server.url}/declared-huge.jpg`)).rejects.toMatchObject({ code: 422, type: 'URL_TOO_LARGE', message: 'The image at this address is over the 1 MB limit.' });
		await expect(fetchImage(`${server.url}/endless.jpg`)).rejects.toMatchObject({ code: 422, type: 'URL_TOO_LARGE' });
		// The server was cut off long before its 50 MB (socket buffers hold a few MB at most).
		expect(endlessBytesSent).toBeLessThan(10 * LIMIT);
	});

	it('gives up on an address that stops sending', async () => {
		const started = Date.now();
		await expect(fetchImage(`${server.url}/stalls.jpg`)).rejects.toMatchObject({ code: 422, type: 'URL_TIMEOUT', message: 'The address did not send the image within 2 s.' });
		expect(Date.now() - started).toBeLessThan(5_000);
	});

	it('says what is wrong with addresses it will not try or cannot use', async () => {
		for (const url of ['not an address', 'ftp://example.com/photo.jpg', 'file:///etc/passwd', 'data:image/png;base64,AAAA']) {
			await expect(fetchImage(url), url).rejects.toMatchObject({ code: 422, type: 'VALIDATION_ERROR', data: [expect.objectContaining({ field: 'url' })] });
		}
		await expect(fetchImage(`${server.url}/missing.jpg`)).rejects.toMatchObject({ code: 422, type: 'URL_ERROR_STATUS', message: `${server.url.slice(7)} answered 404 Not Found.` });
		await expect(fetchImage('http://127.0.0.1:1/photo.jpg')).rejects.toMatchObject({ code: 422, type: 'URL_UNREACHABLE' });
		expect(await bed.storedRows(user.id)).toHaveLength(1);
	});
});
