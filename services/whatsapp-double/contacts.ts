import { Person, type AccountRecord, type ContactRecord, type Directory } from './accounts.ts';
import type { EventLog } from './events.ts';
import type { MediaStore } from './media.ts';
import type { Messaging, ReceivedMessage } from './messages.ts';

/** Who a contact writes to: an account's number, or anything carrying one (a Phone). */
export type AccountTarget = string | { phone: string };

export interface ImageToSend {
	image: Buffer;
	mimetype?: string;
	caption?: string;
	width?: number;
	height?: number;
}

export interface ContactServices {
	directory: Directory;
	messaging: Messaging;
	media: MediaStore;
	events: EventLog;
}

/**
 * A WhatsApp user played by the double, with its own Signal keys: it receives what companions send
 * it (decrypted, kept for tests to read), writes to accounts (text and images, first as pkmsg then
 * msg), sends receipts, presence and typing.
 */
export class Contact extends Person {
	constructor(
		private readonly record: ContactRecord,
		private readonly services: ContactServices,
	) {
		super(record);
	}

	/** How WhatsApp addresses this contact's messages (by LID or by number); it may change over time. */
	get addressing(): 'lid' | 'pn' {
		return this.record.addressing;
	}
	set addressing(mode: 'lid' | 'pn') {
		this.record.addressing = mode;
	}

	sendText(to: AccountTarget, text: string, options: { id?: string } = {}): Promise<string> {
		return this.services.messaging.sendFromContact(this.record, this.account(to), { conversation: text }, options.id);
	}

	/** Uploads the image (encrypted, like a phone does) to the media host, then sends the message. */
	sendImage(to: AccountTarget, image: ImageToSend, options: { id?: string } = {}): Promise<string> {
		const reference = this.services.media.encrypt(image.image, 'image');
		const imageMessage = {
			...reference,
			mimetype: image.mimetype ?? 'image/jpeg',
			caption: image.caption,
			width: image.width,
			height: image.height,
		};
		return this.services.messaging.sendFromContact(this.record, this.account(to), { imageMessage }, options.id);
	}

	/** Read receipts for messages it received (all of them when `ids` is omitted). */
	markRead(ids?: string[]): void {
		this.receipts(ids, 'read');
	}

	/** Delivery receipts, for a contact created with `autoDeliveryReceipts: false`. */
	markDelivered(ids?: string[]): void {
		this.receipts(ids);
	}

	setPresence(to: AccountTarget, presence: 'available' | 'unavailable'): void {
		this.services.messaging.presence(this.record, this.account(to), presence);
	}

	typing(to: AccountTarget, state: 'composing' | 'paused' | 'recording' = 'composing'): void {
		this.services.messaging.chatstate(this.record, this.account(to), state);
	}

	/** Everything it decrypted so far, oldest first. */
	received(): ReceivedMessage[] {
		return [...this.services.messaging.receivedBy(this.record.phone)];
	}

	/** The first received message (already here or still to come) that matches. */
	async waitForMessage(match: (message: ReceivedMessage) => boolean = () => true, timeoutMs = 15_000): Promise<ReceivedMessage> {
		const find = () => this.received().find(match);
		const event = this.services.events.waitFor('contact.received', () => find() !== undefined, { timeoutMs });
		const already = find();
		if (already) return already;
		await event;
		return find()!;
	}

	toJSON() {
		return { phone: this.phone, lid: this.lid, name: this.name, jid: this.jid, lidJid: this.lidJid, addressing: this.record.addressing };
	}

	private receipts(ids: string[] | undefined, type?: 'read'): void {
		const wanted = ids ? new Set(ids) : undefined;
		const groups = new Map<string, { from: string; sender: AccountRecord; ids: string[] }>();
		for (const message of this.received()) {
			if (wanted && !wanted.has(message.id)) continue;
			const sender = this.services.directory.byNumber(message.fromPhone);
			if (sender?.kind !== 'account') continue;
			const key = `${message.fromPhone} ${message.addressedTo}`;
			const group = groups.get(key) ?? { from: message.addressedTo, sender, ids: [] };
			group.ids.push(message.id);
			groups.set(key, group);
		}
		for (const { from, sender, ids: groupIds } of groups.values()) this.services.messaging.receipt(from, sender, groupIds, type);
	}

	private account(to: AccountTarget): AccountRecord {
		const phone = typeof to === 'string' ? to.split('@')[0].split(':')[0] : to.phone;
		const user = this.services.directory.byNumber(phone);
		if (user?.kind !== 'account') throw new Error(`${phone} is not an account on the double`);
		return user;
	}
}
