import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageRejected, MAX_IMAGE_BYTES, normaliseImage } from '../../../services/media/image.ts';

const options = { maxPixels: 50_000_000 };

/** Gaussian noise: the worst case for JPEG, it barely compresses. */
function noise(width: number, height: number) {
	return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 80 } } });
}

async function pixelAt(jpeg: Buffer, x: number, y: number): Promise<number[]> {
	const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
	const at = (y * info.width + x) * info.channels;
	return [...data.subarray(at, at + 3)];
}

async function rejectionOf(input: Buffer, maxPixels = options.maxPixels): Promise<ImageRejected> {
	const error = await normaliseImage(input, { maxPixels }).then(
		() => undefined,
		(err: unknown) => err,
	);
	expect(error).toBeInstanceOf(ImageRejected);
	return error as ImageRejected;
}

describe('images are made safe to send: JPEG, at most 1600 px and 350 KB', () => {
	it('brings a big noisy 4000x3000 PNG under 350 KB', async () => {
		const png = await noise(4000, 3000).png({ compressionLevel: 1 }).toBuffer();
		expect(png.length).toBeGreaterThan(20 * 1024 * 1024);
		const image = await normaliseImage(png, options);
		expect(image.data.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
		expect(image.sourceFormat).toBe('png');
		expect(image.contentType).toBe('image/jpeg');
		const meta = await sharp(image.data).metadata();
		expect(meta).toMatchObject({ format: 'jpeg', width: image.width, height: image.height });
		expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(1600);
		// Still the same picture: 4:3.
		expect(image.width / image.height).toBeCloseTo(4 / 3, 1);
	}, 60_000);

	it('makes the picture smaller when even the lowest quality is over 350 KB', async () => {
		// Noise at 1600 px is not smoothed by the resize: at 1600 px no quality we use fits.
		const image = await normaliseImage(await noise(1600, 1600).png({ compressionLevel: 1 }).toBuffer(), options);
		expect(image.data.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
		expect(image.width).toBeLessThan(1600);
		expect(image.width).toBe(image.height);
	}, 60_000);

	it('keeps an ordinary photo at 1600 px, and never enlarges a small one', async () => {
		const plain = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#5a8f3c' } });
		const big = await normaliseImage(await plain(2400, 1800).jpeg({ quality: 95 }).toBuffer(), options);
		expect([big.width, big.height]).toEqual([1600, 1200]);
		const small = await normaliseImage(await plain(300, 200).png().toBuffer(), options);
		expect([small.width, small.height]).toEqual([300, 200]);
	});

	it('lays a transparent PNG on white', async () => {
		const transparent = await sharp({ create: { width: 200, height: 200, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
			.composite([{ input: { create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }, left: 50, top: 50 }])
			.png()
			.toBuffer();
		const image = await normaliseImage(transparent, options);
		const [corner, centre] = [await pixelAt(image.data, 5, 5), await pixelAt(image.data, 100, 100)];
		for (const channel of corner) expect(channel).toBeGreaterThan(245);
		expect(centre[0]).toBeGreaterThan(230);
		expect(centre[1]).toBeLessThan(25);
	});

	it('takes the first frame of an animated GIF', async () => {
		const frame = (colour: string) => sharp({ create: { width: 120, height: 80, channels: 3, background: colour } }).png().toBuffer();
		const gif = await sharp([await frame('#0000ff'), await frame('#00ff00')], { join: { animated: true } }).gif({ delay: [200, 200] }).toBuffer();
		expect((await sharp(gif).metadata()).pages).toBe(2);
		const image = await normaliseImage(gif, options);
		expect([image.width, image.height, image.sourceFormat]).toEqual([120, 80, 'gif']);
		const [r, g, b] = await pixelAt(image.data, 60, 40);
		expect(b).toBeGreaterThan(200);
		expect(r + g).toBeLessThan(60);
	});

	it('reads a WebP whatever it was called, and resizes it', async () => {
		const webp = await sharp({ create: { width: 3200, height: 1000, channels: 3, background: '#336699' } }).webp().toBuffer();
		const image = await normaliseImage(webp, options);
		expect([image.width, image.height, image.sourceFormat]).toEqual([1600, 500, 'webp']);
	});

	it('turns a photo upright by its EXIF orientation and drops all its metadata', async () => {
		const sideways = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#aa5500' } })
			.jpeg()
			.withMetadata({ orientation: 6 })
			.withExifMerge({ IFD0: { Copyright: 'Secret Studio', Artist: 'Someone' } })
			.toBuffer();
		expect((await sharp(sideways).metadata()).exif).toBeDefined();
		const image = await normaliseImage(sideways, options);
		expect([image.width, image.height]).toEqual([100, 300]);
		const meta = await sharp(image.data).metadata();
		expect(meta.exif).toBeUndefined();
		expect(meta.orientation).toBeUndefined();
		expect(image.data.includes('Secret Studio')).toBe(false);
	});
});

describe('files that cannot be used are refused with a reason the user can act on', () => {
	it('refuses a text file renamed .jpg as not an image', async () => {
		const rejected = await rejectionOf(Buffer.from('name,phone\nAli,+60123456789\n'));
		expect(rejected.code).toBe('NOT_AN_IMAGE');
		expect(rejected.message).toMatch(/not an image/);
	});

	it('refuses a truncated JPEG or PNG as damaged', async () => {
		for (const encoded of [await noise(800, 600).jpeg({ quality: 90 }).toBuffer(), await noise(800, 600).png().toBuffer()]) {
			const rejected = await rejectionOf(encoded.subarray(0, Math.floor(encoded.length * 0.6)));
			expect(rejected.code).toBe('CORRUPT_IMAGE');
			expect(rejected.message).toMatch(/damaged or cut short/);
		}
	});

	it('refuses an image with too many pixels before decoding it', async () => {
		const rejected = await rejectionOf(await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#fff' } }).png().toBuffer(), 4_000_000);
		expect(rejected.code).toBe('TOO_MANY_PIXELS');
		expect(rejected.message).toMatch(/more than 4 megapixels/);
	});

	it('refuses image formats other than JPEG, PNG, GIF and WebP', async () => {
		const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
		expect(await rejectionOf(svg)).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: 'SVG images are not supported. Send a JPEG, PNG, GIF or WebP.' });
		const tiff = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } }).tiff().toBuffer();
		expect((await rejectionOf(tiff)).code).toBe('UNSUPPORTED_FORMAT');
	});
});
