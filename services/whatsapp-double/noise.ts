import { createCipheriv, createDecipheriv } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { generateKeyPair, hkdf, sha256, sharedKey, type KeyPair } from './keys.ts';

/** 32 bytes long, so it is the initial hash, chaining key and cipher key as is. */
const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0');
const EMPTY = Buffer.alloc(0);
const TAG_LENGTH = 16;

function gcm(encrypt: boolean, key: Buffer, counter: number, data: Uint8Array, aad: Uint8Array): Buffer {
	const iv = Buffer.alloc(12);
	iv.writeUInt32BE(counter, 8);
	if (encrypt) {
		const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
		return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
	}
	const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad);
	decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
	return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_LENGTH)), decipher.final()]);
}

/**
 * The responder side of WhatsApp's Noise XX handshake, then the transport cipher. Mirrors what
 * the client does step by step: the handshake hash covers the intro header, both ephemerals and
 * every ciphertext; each DH is mixed into the chaining key; the transport keys split it at the end
 * (client writes with the first half, the server with the second).
 */
export class NoiseResponder {
	private hash: Buffer = NOISE_MODE;
	private chainingKey: Buffer = NOISE_MODE;
	private key: Buffer = NOISE_MODE;
	private counter = 0;
	private ephemeral: KeyPair | undefined;
	private transport: { read: Buffer; write: Buffer; readCounter: number; writeCounter: number } | undefined;

	constructor(
		private readonly serverStatic: KeyPair,
		private readonly certChain: Uint8Array,
	) {}

	get ready(): boolean {
		return this.transport !== undefined;
	}

	/** The intro bytes the client sent before its first frame (header, with routing info if any). */
	authenticateIntro(intro: Uint8Array): void {
		this.authenticate(intro);
	}

	/** clientHello → serverHello{ephemeral, static (encrypted), payload = encrypted cert chain}. */
	answerClientHello(frame: Uint8Array): Uint8Array {
		const { clientHello } = proto.HandshakeMessage.decode(frame);
		if (!clientHello?.ephemeral) throw new Error('expected clientHello with an ephemeral key');
		const clientEphemeral = Buffer.from(clientHello.ephemeral);
		this.authenticate(clientEphemeral);
		this.ephemeral = generateKeyPair();
		this.authenticate(this.ephemeral.public);
		this.mixIntoKey(sharedKey(this.ephemeral.private, clientEphemeral));
		const encryptedStatic = this.encryptHandshake(this.serverStatic.public);
		this.mixIntoKey(sharedKey(this.serverStatic.private, clientEphemeral));
		const payload = this.encryptHandshake(this.certChain);
		return proto.HandshakeMessage.encode({ serverHello: { ephemeral: this.ephemeral.public, static: encryptedStatic, payload } }).finish();
	}

	/** clientFinish → the client's static Noise key and its ClientPayload; switches to transport keys. */
	readClientFinish(frame: Uint8Array): { clientStatic: Buffer; payload: proto.ClientPayload } {
		const { clientFinish } = proto.HandshakeMessage.decode(frame);
		if (!clientFinish?.static || !clientFinish.payload || !this.ephemeral) throw new Error('expected clientFinish after serverHello');
		const clientStatic = this.decryptHandshake(clientFinish.static);
		this.mixIntoKey(sharedKey(this.ephemeral.private, clientStatic));
		const payload = proto.ClientPayload.decode(this.decryptHandshake(clientFinish.payload));
		const keys = hkdf(EMPTY, 64, { salt: this.chainingKey });
		this.transport = { read: keys.subarray(0, 32), write: keys.subarray(32), readCounter: 0, writeCounter: 0 };
		return { clientStatic, payload };
	}

	encrypt(plaintext: Uint8Array): Buffer {
		const t = this.requireTransport();
		return gcm(true, t.write, t.writeCounter++, plaintext, EMPTY);
	}

	decrypt(ciphertext: Uint8Array): Buffer {
		const t = this.requireTransport();
		return gcm(false, t.read, t.readCounter++, ciphertext, EMPTY);
	}

	private requireTransport() {
		if (!this.transport) throw new Error('Noise handshake not finished');
		return this.transport;
	}

	private authenticate(data: Uint8Array): void {
		this.hash = sha256(Buffer.concat([this.hash, data]));
	}

	private mixIntoKey(data: Uint8Array): void {
		const keys = hkdf(data, 64, { salt: this.chainingKey });
		this.chainingKey = keys.subarray(0, 32);
		this.key = keys.subarray(32);
		this.counter = 0;
	}

	private encryptHandshake(plaintext: Uint8Array): Buffer {
		const result = gcm(true, this.key, this.counter++, plaintext, this.hash);
		this.authenticate(result);
		return result;
	}

	private decryptHandshake(ciphertext: Uint8Array): Buffer {
		const result = gcm(false, this.key, this.counter++, ciphertext, this.hash);
		this.authenticate(ciphertext);
		return result;
	}
}

const WA_INTRO = Buffer.from('WA');
const ROUTING_INTRO = Buffer.from('ED');
const WA_HEADER_LENGTH = 4;

/**
 * Splits the byte stream of one WebSocket into frames: first the intro (`WA 06 03`, or `ED 00 01`
 * + 3-byte length + routing info + `WA 06 03`), then `[3-byte big-endian length][payload]` frames.
 */
export class FrameReader {
	private buffer: Buffer = EMPTY;
	private introDone = false;

	constructor(
		private readonly onIntro: (header: Buffer) => void,
		private readonly onFrame: (frame: Buffer) => void,
	) {}

	push(data: Buffer): void {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
		if (!this.introDone && !this.readIntro()) return;
		while (this.buffer.length >= 3) {
			const length = this.buffer.readUIntBE(0, 3);
			if (this.buffer.length < length + 3) return;
			const frame = this.buffer.subarray(3, length + 3);
			this.buffer = this.buffer.subarray(length + 3);
			this.onFrame(frame);
		}
	}

	private readIntro(): boolean {
		if (this.buffer.length < WA_HEADER_LENGTH) return false;
		let headerStart = 0;
		if (this.buffer.subarray(0, 2).equals(ROUTING_INTRO)) {
			if (this.buffer.length < 7) return false;
			headerStart = 7 + this.buffer.readUIntBE(4, 3);
			if (this.buffer.length < headerStart + WA_HEADER_LENGTH) return false;
		}
		const header = this.buffer.subarray(headerStart, headerStart + WA_HEADER_LENGTH);
		if (!header.subarray(0, 2).equals(WA_INTRO)) throw new Error('not a WhatsApp stream (bad intro header)');
		// The client authenticates the bare WA header only, even when routing info precedes it.
		this.onIntro(Buffer.from(header));
		this.buffer = this.buffer.subarray(headerStart + WA_HEADER_LENGTH);
		this.introDone = true;
		return true;
	}
}

export function encodeFrame(payload: Uint8Array): Buffer {
	const header = Buffer.alloc(3);
	header.writeUIntBE(payload.length, 0, 3);
	return Buffer.concat([header, payload]);
}
