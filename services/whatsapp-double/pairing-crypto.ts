import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { proto } from '@whiskeysockets/baileys';
import { hkdf, hmacSha256, sharedKey, sign, verify, type KeyPair } from './keys.ts';

const ACCOUNT_SIGNATURE_PREFIX = Buffer.from([6, 0]);
const DEVICE_SIGNATURE_PREFIX = Buffer.from([6, 1]);
const PAIRING_CODE_ITERATIONS = 2 << 16;
const pbkdf2Async = promisify(pbkdf2);

/** What the companion shows in its QR: `https://wa.me/settings/linked_devices#ref,noise,identity,adv[,platform]`. */
export interface PairingQr {
	ref: string;
	noiseKey: Buffer;
	identityKey: Buffer;
	advSecret: Buffer;
	platformId?: string;
}

export function parsePairingQr(qr: string): PairingQr {
	const fields = (qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr).split(',');
	if (fields.length < 4) throw new Error('not a WhatsApp pairing QR');
	const [ref, noise, identity, adv, platformId] = fields;
	return {
		ref,
		noiseKey: Buffer.from(noise, 'base64'),
		identityKey: Buffer.from(identity, 'base64'),
		advSecret: Buffer.from(adv, 'base64'),
		platformId,
	};
}

/**
 * The primary phone's statement that a companion belongs to the account: ADV device details signed
 * by the account key over the companion's identity, wrapped in an HMAC keyed by the companion's
 * ADV secret (from the QR, or derived during pairing by code).
 */
export function signedDeviceIdentity(accountKey: KeyPair, companionIdentity: Buffer, keyIndex: number, advSecret: Buffer): Uint8Array {
	const details = proto.ADVDeviceIdentity.encode({ rawId: randomInt(1, 2 ** 31), timestamp: Math.floor(Date.now() / 1000), keyIndex }).finish();
	const accountSignature = sign(accountKey.private, Buffer.concat([ACCOUNT_SIGNATURE_PREFIX, details, companionIdentity]));
	const signed = proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: accountKey.public, accountSignature }).finish();
	return proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac: hmacSha256(advSecret, signed) }).finish();
}

/** The companion's answer (pair-device-sign) must carry its own signature over the same details. */
export function verifyDeviceSignature(reply: Uint8Array, accountKey: Buffer, companionIdentity: Buffer): boolean {
	const { details, deviceSignature } = proto.ADVSignedDeviceIdentity.decode(reply);
	if (!details || !deviceSignature) return false;
	return verify(companionIdentity, Buffer.concat([DEVICE_SIGNATURE_PREFIX, details, companionIdentity, accountKey]), deviceSignature);
}

const codeKey = (code: string, salt: Uint8Array) => pbkdf2Async(code, salt, PAIRING_CODE_ITERATIONS, 32, 'sha256');

/** salt(32) ‖ iv(16) ‖ AES-256-CTR(key, PBKDF2(code, salt)): how both sides wrap their ephemeral key. */
export async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
	const key = await codeKey(code, wrapped.subarray(0, 32));
	const decipher = createDecipheriv('aes-256-ctr', key, wrapped.subarray(32, 48));
	return Buffer.concat([decipher.update(wrapped.subarray(48, 80)), decipher.final()]);
}

export async function wrapWithCode(code: string, publicKey: Buffer): Promise<Buffer> {
	const salt = randomBytes(32);
	const iv = randomBytes(16);
	const cipher = createCipheriv('aes-256-ctr', await codeKey(code, salt), iv);
	return Buffer.concat([salt, iv, cipher.update(publicKey), cipher.final()]);
}

export class WrongPairingCodeError extends Error {
	constructor() {
		super('The pairing code does not match the one the companion showed');
		this.name = 'WrongPairingCodeError';
	}
}

/**
 * The companion's key bundle (salt ‖ iv ‖ GCM(companion identity ‖ primary identity ‖ random)),
 * opened with the ephemeral DH; then both sides derive the same ADV secret. A wrong code gave the
 * phone a wrong companion ephemeral key, so the GCM tag fails here.
 */
export function advSecretFromKeyBundle(
	bundle: Buffer,
	primaryEphemeral: KeyPair,
	companionEphemeral: Buffer,
	accountKey: KeyPair,
): { advSecret: Buffer; companionIdentity: Buffer } {
	const ephemeralShared = sharedKey(primaryEphemeral.private, companionEphemeral);
	const key = hkdf(ephemeralShared, 32, { salt: bundle.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key' });
	let plain: Buffer;
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, bundle.subarray(32, 44));
		decipher.setAuthTag(bundle.subarray(bundle.length - 16));
		plain = Buffer.concat([decipher.update(bundle.subarray(44, bundle.length - 16)), decipher.final()]);
	} catch {
		throw new WrongPairingCodeError();
	}
	const companionIdentity = plain.subarray(0, 32);
	const random = plain.subarray(64, 96);
	const identityShared = sharedKey(accountKey.private, companionIdentity);
	return { advSecret: hkdf(Buffer.concat([ephemeralShared, identityShared, random]), 32, { info: 'adv_secret' }), companionIdentity };
}
