import sharp from 'sharp';

/** WhatsApp shows images up to this size without fuss; every image we store and send is at most this. */
export const MAX_IMAGE_BYTES = 350 * 1024;
/** Longest side of a stored image, in pixels. */
export const MAX_IMAGE_SIDE = 1600;

/** What sharp reports for the formats we take in. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp']);
/** Tried in turn at each size before the image is made smaller. */
const QUALITIES = [80, 65, 50];
/** Below this longest side an image is not worth sending; nothing real gets here. */
const MIN_SIDE = 200;

export type ImageRejection = 'NOT_AN_IMAGE' | 'UNSUPPORTED_FORMAT' | 'CORRUPT_IMAGE' | 'TOO_MANY_PIXELS' | 'CANNOT_COMPRESS';

/** Why a file cannot be used as an image, in words the user can act on. */
export class ImageRejected extends Error {
	constructor(
		readonly code: ImageRejection,
		message: string,
	) {
		super(message);
		this.name = 'ImageRejected';
	}
}

export interface NormaliseOptions {
	/** Refuse images with more pixels than this before decoding them (memory). */
	maxPixels: number;
	maxBytes?: number;
	maxSide?: number;
}

export interface NormalisedImage {
	data: Buffer;
	contentType: 'image/jpeg';
	width: number;
	height: number;
	/** What the file really was, whatever it claimed. */
	sourceFormat: string;
}

const FORMAT_NAMES: Record<string, string> = { heif: 'HEIC/AVIF', svg: 'SVG', tiff: 'TIFF', jp2: 'JPEG 2000', pdf: 'PDF', jxl: 'JPEG XL' };

/**
 * Makes any JPEG, PNG, GIF (first frame) or WebP safe and small enough to send: the real format
 * is read from the bytes, the picture turned upright by its EXIF orientation, all metadata
 * (location included) dropped, transparency laid on white, the longest side brought to 1600 px,
 * and the JPEG quality (then the size) stepped down until the file is at most 350 KB.
 */
export async function normaliseImage(input: Buffer, options: NormaliseOptions): Promise<NormalisedImage> {
	const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
	const maxSide = options.maxSide ?? MAX_IMAGE_SIDE;
	const open = () => sharp(input, { limitInputPixels: options.maxPixels, failOn: 'error', autoOrient: true });
	const format = await open()
		.metadata()
		.then(m => m.format as string)
		.catch(err => {
			throw rejection(err, options.maxPixels);
		});
	if (!ACCEPTED_FORMATS.has(format)) {
		throw new ImageRejected('UNSUPPORTED_FORMAT', `${FORMAT_NAMES[format] ?? format.toUpperCase()} images are not supported. Send a JPEG, PNG, GIF or WebP.`);
	}
	let { data: pixels, info } = await open()
		.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
		.flatten({ background: '#ffffff' })
		.toColourspace('srgb')
		.raw({ depth: 'uchar' })
		.toBuffer({ resolveWithObject: true })
		.catch(err => {
			throw rejection(err, options.maxPixels);
		});
	for (;;) {
		const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
		let smallest = Infinity;
		for (const quality of QUALITIES) {
			const data = await sharp(pixels, raw).jpeg({ quality }).toBuffer();
			if (data.length <= maxBytes) return { data, contentType: 'image/jpeg', width: info.width, height: info.height, sourceFormat: format };
			smallest = data.length;
		}
		if (Math.max(info.width, info.height) <= MIN_SIDE) {
			throw new ImageRejected('CANNOT_COMPRESS', `This image cannot be made smaller than ${Math.round(maxBytes / 1024)} KB. Try another picture.`);
		}
		// JPEG size follows the pixel count: aim straight for the size that should fit.
		const scale = Math.min(0.75, Math.sqrt(maxBytes / smallest) * 0.95);
		({ data: pixels, info } = await sharp(pixels, raw)
			.resize({ width: Math.max(1, Math.round(info.width * scale)), height: Math.max(1, Math.round(info.height * scale)), fit: 'fill' })
			.raw()
			.toBuffer({ resolveWithObject: true }));
	}
}

function rejection(err: Error, maxPixels: number): ImageRejected {
	const message = err.message ?? '';
	if (/unsupported image format/i.test(message)) {
		return new ImageRejected('NOT_AN_IMAGE', 'This file is not an image. Send a JPEG, PNG, GIF or WebP.');
	}
	if (/pixel limit/i.test(message)) {
		return new ImageRejected('TOO_MANY_PIXELS', `This image has more than ${Math.round(maxPixels / 1e6)} megapixels. Send a smaller one.`);
	}
	return new ImageRejected('CORRUPT_IMAGE', 'This image is damaged or cut short and cannot be read. Save or download it again and retry.');
}
