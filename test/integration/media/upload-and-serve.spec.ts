import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../helpers/databases.ts';
import { mediaTestbed, noisyPhoto, type Caller } from '../../helpers/media.ts';

const MAX_BYTES = 350 * 1024;

describe.each(await databaseTargets())('an uploaded image is stored small and shown to its owner only (%s)', target => {
	const bed = mediaTestbed(target, { uploadLimitBytes: 4 * 1024 * 1024 });
	let photo: Buffer;
	let alice: Caller;
	let bob: Caller;

	beforeAll(async () => {
		photo = await noisyPhoto();
		[alice, bob] = [await bed.signUp(), await bed.signUp()];
	});

	it('stores a big photo as a JPEG of at most 350 KB and 1600 px and serves it back to its owner', async () => {
		expect(photo.length).toBeGreaterThan(1024 * 1024);
		const { result: image, meta } = await alice.call('media.upload', { data: photo.toString('base64'), contentType: 'image/jpeg', name: 'IMG_0001.jpg' });
		expect(meta.$statusCode).toBe(201);
		expect(image).toEqual({ id: expect.any(String), contentType: 'image/jpeg', size: expect.any(Number), width: 1600, height: 1200, url: `/api/media/${image.id}` });
		expect(image.size).toBeLessThanOrEqual(MAX_BYTES);
		expect(await bed.storedRows(alice.id)).toEqual([{ id: image.id, size: image.size, bytes: image.size, original_name: 'IMG_0001.jpg' }]);

		const served = await alice.call('media.get', { id: image.id });
		expect(served.meta.$responseType).toBe('image/jpeg');
		const bytes = Buffer.from(served.result.$binary, 'base64');
		expect(bytes.length).toBe(image.size);
		expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });

		// The sender reads the same bytes, naming the owner.
		const content = await bed.node.broker.call('media.content', { id: image.id, userId: alice.id });
		expect(content).toEqual({ contentType: 'image/jpeg', data: served.result.$binary, size: image.size });
	});

	it("answers 404 to anyone else, for showing, deleting and sending another user's image", async () => {
		const { result: image } = await alice.call('media.upload', { data: (await noisyPhoto(640, 480)).toString('base64') });
		const notFound = { code: 404, type: 'NOT_FOUND', message: 'No such image.' };
		await expect(bob.call('media.get', { id: image.id })).rejects.toMatchObject(notFound);
		await expect(bob.call('media.remove', { id: image.id })).rejects.toMatchObject(notFound);
		await expect(bed.node.broker.call('media.content', { id: image.id, userId: bob.id })).rejects.toMatchObject(notFound);
		const anonymous = async () => bed.node.broker.call('media.get', { id: image.id });
		await expect(anonymous()).rejects.toMatchObject({ code: 401, type: 'UNAUTHENTICATED' });
		expect((await alice.call('media.get', { id: image.id })).meta.$responseType).toBe('image/jpeg');
	});

	it('keeps one image when the same file is uploaded twice, even at once', async () => {
		const data = (await noisyPhoto(800, 600)).toString('base64');
		const first = await alice.call('media.upload', { data });
		const again = await alice.call('media.upload', { data });
		expect(again.result).toEqual(first.result);
		expect(again.meta.$statusCode).toBeUndefined();
		const racing = (await noisyPhoto(700, 500)).toString('base64');
		const [one, two] = await Promise.all([alice.call('media.upload', { data: racing }), alice.call('media.upload', { data: racing })]);
		expect(one.result.id).toBe(two.result.id);
		// Another user's copy of the same file is theirs.
		const bobs = await bob.call('media.upload', { data });
		expect(bobs.result.id).not.toBe(first.result.id);
		const ids = (await bed.storedRows(alice.id)).map(row => row.id);
		expect(ids.filter(id => id === first.result.id || id === one.result.id)).toHaveLength(2);
	});

	it('refuses files that are not usable images, says why, and stores nothing', async () => {
		const user = await bed.signUp();
		const truncated = (await noisyPhoto(800, 600)).subarray(0, 40_000);
		const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
		const refusals = [
			[Buffer.from('name,phone\nAli,+60123456789\n'), { code: 422, type: 'NOT_AN_IMAGE', message: 'This file is not an image. Send a JPEG, PNG, GIF or WebP.' }],
			[truncated, { code: 422, type: 'CORRUPT_IMAGE' }],
			[svg, { code: 422, type: 'UNSUPPORTED_FORMAT' }],
			[Buffer.alloc(5 * 1024 * 1024), { code: 413, type: 'MEDIA_TOO_LARGE', message: 'The file is over the 4 MB limit.' }],
		] as const;
		for (const [file, error] of refusals) {
			await expect(user.call('media.upload', { data: file.toString('base64'), contentType: 'image/jpeg', name: 'photo.jpg' })).rejects.toMatchObject(error);
		}
		await expect(user.call('media.upload', { data: '' })).rejects.toMatchObject({ code: 422, type: 'VALIDATION_ERROR' });
		expect(await bed.storedRows(user.id)).toEqual([]);
	});

	it('deletes an image for good', async () => {
		const { result: image } = await alice.call('media.upload', { data: (await noisyPhoto(320, 240)).toString('base64') });
		const removed = await alice.call('media.remove', { id: image.id });
		expect(removed.meta.$statusCode).toBe(204);
		await expect(alice.call('media.get', { id: image.id })).rejects.toMatchObject({ code: 404 });
		expect((await bed.storedRows(alice.id)).map(row => row.id)).not.toContain(image.id);
	});
});
