import { randomBytes, randomInt } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { ProtocolAddress, SessionBuilder, SessionCipher, SessionRecord, type SignalStorage } from 'libsignal';
import { fromBase64, generateKeyPair, keyPairFromJson, keyPairToJson, signalPublicKey, signedPreKey, toBase64, type KeyPair } from './keys.ts';

/** What `encrypt get <key>` hands out for one device, and what a sender builds a session from. */
export interface PreKeyBundle {
	registrationId: number;
	identityKey: Buffer;
	signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
	preKey?: { keyId: number; public: Buffer };
}

export type EncryptedType = 'pkmsg' | 'msg';

/** libsignal's record serialises to a plain JSON object, whatever its typings say. */
type SerializedSession = object;

/**
 * One Signal device the double plays itself: a contact's phone, or an account's primary phone.
 * It has a real libsignal store, so what Baileys encrypts to it is really decrypted, and what it
 * sends Baileys has to decrypt. One-time pre-keys are minted on demand, one per bundle handed out,
 * as the real server hands out each uploaded key once.
 */
export class SignalPeer {
	private readonly preKeys = new Map<number, KeyPair>();
	private readonly sessions = new Map<string, SerializedSession>();
	private nextPreKeyId = 1;

	constructor(
		readonly identity: KeyPair,
		readonly registrationId: number,
		private signedKey?: { keyId: number; keyPair: KeyPair; signature: Buffer },
	) {}

	static create(identity = generateKeyPair()): SignalPeer {
		return new SignalPeer(identity, randomInt(1, 16380));
	}

	/** Made on first use: signing costs ~12 ms in pure JS, and most peers of a benchmark never need it. */
	private get signed() {
		this.signedKey ??= signedPreKey(this.identity, 1);
		return this.signedKey;
	}

	bundle(): PreKeyBundle {
		const keyId = this.nextPreKeyId++;
		const pair = generateKeyPair();
		this.preKeys.set(keyId, pair);
		return {
			registrationId: this.registrationId,
			identityKey: this.identity.public,
			signedPreKey: { keyId: this.signed.keyId, public: this.signed.keyPair.public, signature: this.signed.signature },
			preKey: { keyId, public: pair.public },
		};
	}

	hasSession(address: string, device: number): boolean {
		return this.sessions.has(new ProtocolAddress(address, device).toString());
	}

	async decrypt(address: string, device: number, type: EncryptedType, ciphertext: Uint8Array): Promise<proto.Message> {
		const cipher = new SessionCipher(this.store(), new ProtocolAddress(address, device));
		const padded = type === 'pkmsg' ? await cipher.decryptPreKeyWhisperMessage(ciphertext) : await cipher.decryptWhisperMessage(ciphertext);
		return proto.Message.decode(unpad(padded));
	}

	/** Encrypts for a device; without a session yet, builds one from `bundle()` (its pre-key bundle). */
	async encrypt(address: string, device: number, message: proto.IMessage, bundle: () => PreKeyBundle | undefined) {
		const remote = new ProtocolAddress(address, device);
		if (!this.sessions.has(remote.toString())) {
			const theirs = bundle();
			if (!theirs) throw new Error(`no pre-key bundle for ${remote.toString()}`);
			await new SessionBuilder(this.store(), remote).initOutgoing({
				registrationId: theirs.registrationId,
				identityKey: signalPublicKey(theirs.identityKey),
				signedPreKey: { keyId: theirs.signedPreKey.keyId, publicKey: signalPublicKey(theirs.signedPreKey.public), signature: theirs.signedPreKey.signature },
				preKey: theirs.preKey ? { keyId: theirs.preKey.keyId, publicKey: signalPublicKey(theirs.preKey.public) } : undefined!,
			});
		}
		const { type, body } = await new SessionCipher(this.store(), remote).encrypt(pad(proto.Message.encode(message).finish()));
		return { type: (type === 3 ? 'pkmsg' : 'msg') as EncryptedType, ciphertext: Buffer.from(body, 'binary') };
	}

	/** Forget a device's session (its owner re-linked, so the next message starts over with a pkmsg). */
	dropSession(address: string, device: number): void {
		this.sessions.delete(new ProtocolAddress(address, device).toString());
	}

	private store(): SignalStorage {
		return {
			loadSession: async id => {
				const saved = this.sessions.get(id);
				return saved ? SessionRecord.deserialize(saved as Uint8Array) : undefined;
			},
			storeSession: async (id, record) => void this.sessions.set(id, record.serialize() as SerializedSession),
			isTrustedIdentity: () => true,
			loadPreKey: async id => {
				const pair = this.preKeys.get(Number(id));
				return pair && { privKey: pair.private, pubKey: signalPublicKey(pair.public) };
			},
			removePreKey: id => void this.preKeys.delete(Number(id)),
			loadSignedPreKey: () => ({ privKey: this.signed.keyPair.private, pubKey: signalPublicKey(this.signed.keyPair.public) }),
			getOurRegistrationId: () => this.registrationId,
			getOurIdentity: () => ({ privKey: this.identity.private, pubKey: signalPublicKey(this.identity.public) }),
		};
	}

	toJSON() {
		return {
			identity: keyPairToJson(this.identity),
			registrationId: this.registrationId,
			signed: this.signedKey && { keyId: this.signedKey.keyId, keyPair: keyPairToJson(this.signedKey.keyPair), signature: toBase64(this.signedKey.signature) },
			preKeys: [...this.preKeys].map(([id, pair]) => ({ id, ...keyPairToJson(pair) })),
			nextPreKeyId: this.nextPreKeyId,
			sessions: Object.fromEntries(this.sessions),
		};
	}

	static fromJSON(json: ReturnType<SignalPeer['toJSON']>): SignalPeer {
		const signed = json.signed && { keyId: json.signed.keyId, keyPair: keyPairFromJson(json.signed.keyPair), signature: fromBase64(json.signed.signature) };
		const peer = new SignalPeer(keyPairFromJson(json.identity), json.registrationId, signed);
		for (const { id, ...pair } of json.preKeys) peer.preKeys.set(id, keyPairFromJson(pair));
		for (const [id, session] of Object.entries(json.sessions)) peer.sessions.set(id, session);
		peer.nextPreKeyId = json.nextPreKeyId;
		return peer;
	}
}

/** The Signal address name Baileys uses for a LID user (`<lid>_1`); the device is separate. */
export const lidAddress = (lid: string) => `${lid}_1`;

/** WhatsApp pads plaintext with 1-16 bytes, each holding the pad length. */
function pad(data: Uint8Array): Buffer {
	const length = (randomBytes(1)[0] & 0x0f) || 0x0f;
	return Buffer.concat([data, Buffer.alloc(length, length)]);
}

function unpad(data: Uint8Array): Uint8Array {
	const length = data[data.length - 1];
	if (!length || length > data.length) throw new Error('bad message padding');
	return data.subarray(0, data.length - length);
}
