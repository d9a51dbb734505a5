import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import * as curve from 'libsignal/src/curve.js';

/** A Curve25519 key pair as WhatsApp carries it: 32-byte keys, no version byte. */
export interface KeyPair {
	public: Buffer;
	private: Buffer;
}

const KEY_TYPE = 5;

export function generateKeyPair(): KeyPair {
	const { pubKey, privKey } = curve.generateKeyPair();
	return { public: Buffer.from(pubKey).subarray(1), private: Buffer.from(privKey) };
}

/** The 33-byte form libsignal wants (type byte 5 in front). */
export function signalPublicKey(key: Uint8Array): Buffer {
	return key.length === 33 ? Buffer.from(key) : Buffer.concat([Buffer.from([KEY_TYPE]), key]);
}

export function sharedKey(privateKey: Buffer, publicKey: Uint8Array): Buffer {
	return Buffer.from(curve.calculateAgreement(signalPublicKey(publicKey), privateKey));
}

export function sign(privateKey: Buffer, message: Uint8Array): Buffer {
	return Buffer.from(curve.calculateSignature(privateKey, message));
}

/** XEdDSA verification that really answers false for a bad signature (Baileys' own wrapper does not). */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
	try {
		return curve.verifySignature(signalPublicKey(publicKey), message, signature);
	} catch {
		return false;
	}
}

export function sha256(data: Uint8Array): Buffer {
	return createHash('sha256').update(data).digest();
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
	return createHmac('sha256', key).update(data).digest();
}

export function hkdf(key: Uint8Array, length: number, { salt = Buffer.alloc(0), info = '' }: { salt?: Uint8Array; info?: string } = {}): Buffer {
	return Buffer.from(hkdfSync('sha256', key, salt, info, length));
}

/** A signed pre-key: a fresh key pair signed by the identity key over its 33-byte public form. */
export function signedPreKey(identity: KeyPair, keyId: number): { keyId: number; keyPair: KeyPair; signature: Buffer } {
	const keyPair = generateKeyPair();
	return { keyId, keyPair, signature: sign(identity.private, signalPublicKey(keyPair.public)) };
}

export const randomId = (bytes = 8) => randomBytes(bytes).toString('hex').toUpperCase();

export const toBase64 = (data: Uint8Array) => Buffer.from(data).toString('base64');
export const fromBase64 = (text: string) => Buffer.from(text, 'base64');

export function keyPairToJson(pair: KeyPair): { public: string; private: string } {
	return { public: toBase64(pair.public), private: toBase64(pair.private) };
}

export function keyPairFromJson(json: { public: string; private: string }): KeyPair {
	return { public: fromBase64(json.public), private: fromBase64(json.private) };
}
