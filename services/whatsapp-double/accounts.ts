import type { BinaryNode } from '@whiskeysockets/baileys';
import { fromBase64, toBase64 } from './keys.ts';
import { SignalPeer, type PreKeyBundle } from './signal-peer.ts';

/** A Baileys client linked to an account: what it registered with and what it uploaded since. */
export interface Companion {
	deviceId: number;
	keyIndex: number;
	/** The client's static Noise key: how a returning client is recognised at login. */
	noiseKey: Buffer;
	identityKey: Buffer;
	registrationId: number;
	signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
	preKeys: { keyId: number; public: Buffer }[];
	platform: string;
	linkedAt: number;
	/** Stanzas for it while it was away, delivered (flagged offline) at its next login. */
	offline: BinaryNode[];
}

export interface AccountRecord {
	kind: 'account';
	phone: string;
	lid: string;
	name: string;
	/** A business account: its name reaches companions at pairing (`<biz name>`), so Baileys has a push name. */
	business: boolean;
	/** The primary phone (device 0); its identity key is the account signature key. */
	primary: SignalPeer;
	companions: Map<number, Companion>;
	nextDeviceId: number;
	nextKeyIndex: number;
	/** Failure reason sent to its logins while banned (403 by default). */
	bannedWith?: number;
}

export interface ContactRecord {
	kind: 'contact';
	phone: string;
	lid: string;
	name: string;
	peer: SignalPeer;
	/** How it addresses the messages it sends: from its LID (with sender_pn) or from its number. */
	addressing: 'lid' | 'pn';
	/** Send a delivery receipt as soon as a message is decrypted. */
	autoDeliveryReceipts: boolean;
}

export type UserRecord = AccountRecord | ContactRecord;

export const pnJid = (phone: string, device?: number) => (device ? `${phone}:${device}@s.whatsapp.net` : `${phone}@s.whatsapp.net`);
export const lidJid = (lid: string, device?: number) => (device ? `${lid}:${device}@lid` : `${lid}@lid`);

/** A pre-key bundle for a companion, built from what it uploaded; each one-time key is handed out once. */
export function companionBundle(companion: Companion): PreKeyBundle {
	return {
		registrationId: companion.registrationId,
		identityKey: companion.identityKey,
		signedPreKey: companion.signedPreKey,
		preKey: companion.preKeys.shift(),
	};
}

/** Every user the double knows, by number and by LID; anyone else is "not on WhatsApp". */
export class Directory {
	private readonly byPhone = new Map<string, UserRecord>();
	private readonly byLid = new Map<string, UserRecord>();
	private readonly byNoiseKey = new Map<string, { account: AccountRecord; companion: Companion }>();
	private nextLid = 1;
	private nextPhone = 1;

	add(user: UserRecord): UserRecord {
		if (this.byPhone.has(user.phone)) throw new Error(`${user.phone} is already on the double`);
		this.byPhone.set(user.phone, user);
		this.byLid.set(user.lid, user);
		if (user.kind === 'account') for (const companion of user.companions.values()) this.byNoiseKey.set(toBase64(companion.noiseKey), { account: user, companion });
		return user;
	}

	/** A fresh LID user: 15 digits, like the real ones, never reused within a state file. */
	allocateLid(): string {
		return String(200_000_000_000_000 + this.nextLid++);
	}

	/** A fresh number in the 1 555 01xx-xxxx test range. */
	allocatePhone(): string {
		let phone: string;
		do phone = String(1_555_010_000_0 + this.nextPhone++);
		while (this.byPhone.has(phone));
		return phone;
	}

	byNumber(phone: string): UserRecord | undefined {
		return this.byPhone.get(phone);
	}

	/** The user behind a JID (`user[:device]@s.whatsapp.net` or `@lid`). */
	byJid(jid: string): UserRecord | undefined {
		const [user, server] = jid.split('@');
		const bare = user.split(':')[0];
		return server === 'lid' ? this.byLid.get(bare) : this.byPhone.get(bare);
	}

	byNoise(noiseKey: Uint8Array) {
		return this.byNoiseKey.get(toBase64(noiseKey));
	}

	addCompanion(account: AccountRecord, companion: Companion): void {
		account.companions.set(companion.deviceId, companion);
		this.byNoiseKey.set(toBase64(companion.noiseKey), { account, companion });
	}

	removeCompanion(account: AccountRecord, deviceId: number): Companion | undefined {
		const companion = account.companions.get(deviceId);
		if (!companion) return undefined;
		account.companions.delete(deviceId);
		this.byNoiseKey.delete(toBase64(companion.noiseKey));
		return companion;
	}

	users(): UserRecord[] {
		return [...this.byPhone.values()];
	}

	toJSON() {
		return { nextLid: this.nextLid, nextPhone: this.nextPhone, users: this.users().map(userToJson) };
	}

	static fromJSON(json: ReturnType<Directory['toJSON']>): Directory {
		const directory = new Directory();
		directory.nextLid = json.nextLid;
		directory.nextPhone = json.nextPhone;
		for (const user of json.users) directory.add(userFromJson(user));
		return directory;
	}
}

function userToJson(user: UserRecord) {
	if (user.kind === 'contact') return { ...user, peer: user.peer.toJSON() };
	return {
		...user,
		primary: user.primary.toJSON(),
		companions: [...user.companions.values()].map(c => ({
			...c,
			noiseKey: toBase64(c.noiseKey),
			identityKey: toBase64(c.identityKey),
			signedPreKey: { ...c.signedPreKey, public: toBase64(c.signedPreKey.public), signature: toBase64(c.signedPreKey.signature) },
			preKeys: c.preKeys.map(k => ({ keyId: k.keyId, public: toBase64(k.public) })),
			offline: [],
		})),
	};
}

type UserJson = ReturnType<typeof userToJson>;

function userFromJson(json: UserJson): UserRecord {
	if (json.kind === 'contact') return { ...json, peer: SignalPeer.fromJSON(json.peer) };
	const companions = json.companions.map(
		(c): Companion => ({
			...c,
			noiseKey: fromBase64(c.noiseKey),
			identityKey: fromBase64(c.identityKey),
			signedPreKey: { ...c.signedPreKey, public: fromBase64(c.signedPreKey.public), signature: fromBase64(c.signedPreKey.signature) },
			preKeys: c.preKeys.map(k => ({ keyId: k.keyId, public: fromBase64(k.public) })),
			offline: [],
		}),
	);
	return { ...json, primary: SignalPeer.fromJSON(json.primary), companions: new Map(companions.map(c => [c.deviceId, c])) };
}

/** What accounts and contacts both are: a number, a LID and a name, and the two JIDs they make. */
export abstract class Person {
	constructor(private readonly person: { phone: string; lid: string; name: string }) {}

	get phone(): string {
		return this.person.phone;
	}

	get lid(): string {
		return this.person.lid;
	}

	get name(): string {
		return this.person.name;
	}

	/** Its phone-number JID, what a client sends to (`<phone>@s.whatsapp.net`). */
	get jid(): string {
		return pnJid(this.person.phone);
	}

	get lidJid(): string {
		return lidJid(this.person.lid);
	}
}
