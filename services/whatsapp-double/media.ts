import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog } from './events.ts';
import { hkdf, hmacSha256, sha256 } from './keys.ts';

export type MediaKind = 'image' | 'video' | 'audio' | 'document';

const KEY_INFO: Record<MediaKind, string> = {
	image: 'WhatsApp Image Keys',
	video: 'WhatsApp Video Keys',
	audio: 'WhatsApp Audio Keys',
	document: 'WhatsApp Document Keys',
};
const MAC_LENGTH = 10;
const UPLOAD_PATH = /^\/mms\/(image|video|audio|document)\/([A-Za-z0-9_-]+)$/;

/** The fields of an image/video/… message that point at an encrypted blob on the media host. */
export interface MediaReference {
	url: string;
	directPath: string;
	mediaKey: Buffer;
	fileSha256: Buffer;
	fileEncSha256: Buffer;
	fileLength: number;
	mediaKeyTimestamp: number;
}

function mediaKeys(mediaKey: Uint8Array, kind: MediaKind) {
	const expanded = hkdf(mediaKey, 112, { info: KEY_INFO[kind] });
	return { iv: expanded.subarray(0, 16), cipherKey: expanded.subarray(16, 48), macKey: expanded.subarray(48, 80) };
}

export class MediaIntegrityError extends Error {
	constructor(what: string) {
		super(`media ${what} does not match`);
		this.name = 'MediaIntegrityError';
	}
}

/**
 * The media host: clients upload encrypted blobs (`POST /mms/<kind>/<encSha256>?auth=…`) and
 * download them by direct path (`GET /v/…`), as with WhatsApp's CDN. Also encrypts and decrypts
 * media for the double's own contacts, with WhatsApp's scheme (AES-CBC + truncated HMAC).
 */
export class MediaStore {
	/** The upload token `media_conn` hands out; uploads without it are refused. */
	readonly auth = randomBytes(18).toString('base64url');
	private readonly blobs = new Map<string, Buffer>();

	constructor(
		private readonly events: EventLog,
		private readonly host: () => string,
	) {}

	/** Serves the request if it is a media upload or download; false if it is not one. */
	handle(req: IncomingMessage, res: ServerResponse): boolean {
		const url = new URL(req.url ?? '/', 'https://double');
		const upload = req.method === 'POST' && UPLOAD_PATH.exec(url.pathname);
		if (upload) {
			this.receiveUpload(req, res, url, upload[2]);
			return true;
		}
		if (req.method === 'GET' && url.pathname.startsWith('/v/')) {
			const blob = this.blobs.get(url.pathname);
			this.events.push({ type: 'media.downloaded', path: url.pathname, found: Boolean(blob) });
			res.writeHead(blob ? 200 : 404, { 'content-type': 'application/octet-stream' }).end(blob);
			return true;
		}
		return false;
	}

	private receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL, encSha: string): void {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const given = Buffer.from(url.searchParams.get('auth') ?? '');
			const authOk = given.length === Buffer.byteLength(this.auth) && timingSafeEqual(given, Buffer.from(this.auth));
			if (!authOk) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad auth"}');
			if (sha256(body).toString('base64url') !== encSha) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"hash mismatch"}');
			const { url: mediaUrl, directPath } = this.put(body);
			res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: mediaUrl, direct_path: directPath }));
		});
	}

	put(blob: Buffer): { url: string; directPath: string } {
		const directPath = `/v/t62.7118-24/${randomBytes(12).toString('hex')}.enc`;
		this.blobs.set(directPath, blob);
		this.events.push({ type: 'media.uploaded', path: directPath, bytes: blob.length });
		return { url: `https://${this.host()}${directPath}`, directPath };
	}

	get(directPath: string): Buffer | undefined {
		return this.blobs.get(directPath.split('?')[0]);
	}

	/** Encrypt and host a file as a sender would; the reference goes into the message. */
	encrypt(plain: Buffer, kind: MediaKind): MediaReference {
		const mediaKey = randomBytes(32);
		const { iv, cipherKey, macKey } = mediaKeys(mediaKey, kind);
		const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
		const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
		const blob = Buffer.concat([encrypted, hmacSha256(macKey, Buffer.concat([iv, encrypted])).subarray(0, MAC_LENGTH)]);
		const { url, directPath } = this.put(blob);
		return {
			url,
			directPath,
			mediaKey,
			fileSha256: sha256(plain),
			fileEncSha256: sha256(blob),
			fileLength: plain.length,
			mediaKeyTimestamp: Math.floor(Date.now() / 1000),
		};
	}

	/** Fetch and decrypt what a message points at, checking the MAC and both hashes. */
	decrypt(reference: { directPath?: string | null; mediaKey?: Uint8Array | null; fileSha256?: Uint8Array | null; fileEncSha256?: Uint8Array | null }, kind: MediaKind): Buffer {
		const blob = reference.directPath ? this.get(reference.directPath) : undefined;
		if (!blob || !reference.mediaKey) throw new Error(`media not found on the double: ${reference.directPath}`);
		if (reference.fileEncSha256 && !sha256(blob).equals(Buffer.from(reference.fileEncSha256))) throw new MediaIntegrityError('encrypted hash');
		const { iv, cipherKey, macKey } = mediaKeys(reference.mediaKey, kind);
		const encrypted = blob.subarray(0, blob.length - MAC_LENGTH);
		const mac = hmacSha256(macKey, Buffer.concat([iv, encrypted])).subarray(0, MAC_LENGTH);
		if (!mac.equals(blob.subarray(blob.length - MAC_LENGTH))) throw new MediaIntegrityError('MAC');
		const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
		const plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
		if (reference.fileSha256 && !sha256(plain).equals(Buffer.from(reference.fileSha256))) throw new MediaIntegrityError('file hash');
		return plain;
	}
}
