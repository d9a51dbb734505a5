import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import { companionBundle, lidJid, pnJid, type AccountRecord, type Companion, type ContactRecord, type UserRecord } from './accounts.ts';
import type { Connection } from './connection.ts';
import { unixTime, type DoubleContext } from './context.ts';
import { lidAddress, type SignalPeer } from './signal-peer.ts';
import { child, children, messageId, node } from './stanzas.ts';

/** A message one of the double's own devices (a contact, or an account's primary phone) decrypted. */
export interface ReceivedMessage {
	id: string;
	/** The sending companion's device JID (`<phone>:<device>@s.whatsapp.net`). */
	from: string;
	/** The sender account's number. */
	fromPhone: string;
	/** The JID the sender addressed (its `to`): receipts come back from it. */
	addressedTo: string;
	at: number;
	/** `pkmsg` for the first message of a session, `msg` after. */
	encryption: 'pkmsg' | 'msg';
	message: proto.IMessage;
	text?: string;
	image?: { bytes: Buffer; mimetype?: string; caption?: string };
	/** Why an attached image could not be fetched or failed its integrity checks. */
	imageError?: string;
}

const deviceOf = (jid: string) => Number(jid.split('@')[0].split(':')[1] ?? 0);
const bareJid = (jid: string) => `${jid.split('@')[0].split(':')[0]}@${jid.split('@')[1]}`;

export function textOf(message: proto.IMessage): string | undefined {
	return message.conversation ?? message.extendedTextMessage?.text ?? message.imageMessage?.caption ?? undefined;
}

/**
 * Routing between companions and the double's own devices: a companion's message is acked, then
 * decrypted by the contact (or phone) it was for, or passed on to another companion, online or
 * queued; receipts, presence and typing go the same ways.
 */
export class Messaging {
	private readonly received = new Map<string, ReceivedMessage[]>();
	private readonly contactPresence = new Map<string, 'available' | 'unavailable'>();

	constructor(private readonly ctx: DoubleContext) {}

	receivedBy(phone: string): ReceivedMessage[] {
		return this.received.get(phone) ?? [];
	}

	async onMessage(connection: Connection, stanza: BinaryNode): Promise<void> {
		const { account, companion } = connection;
		if (!account || !companion) return;
		const rejection = this.ctx.faults.sendRejection(account, stanza.attrs.to);
		this.ack(connection, stanza, rejection);
		const known = this.ctx.directory.byJid(stanza.attrs.to) !== undefined;
		this.ctx.events.push({ type: 'message.sent', device: connection.deviceJid!, to: stanza.attrs.to, id: stanza.attrs.id, error: rejection, undeliverable: !known || undefined });
		if (rejection) return;
		const direct = child(stanza, 'enc');
		const targets = direct ? [{ jid: stanza.attrs.to, enc: direct }] : children(child(stanza, 'participants'), 'to').map(to => ({ jid: to.attrs.jid, enc: child(to, 'enc') }));
		for (const { jid, enc } of targets) {
			const user = this.ctx.directory.byJid(jid);
			if (!user || !(enc?.content instanceof Uint8Array)) continue;
			const device = deviceOf(jid);
			if (device === 0) await this.decryptAt(user, account, companion, stanza, enc);
			else if (user.kind === 'account') this.forward(account, companion, user, device, stanza, enc);
		}
	}

	private ack(connection: Connection, stanza: BinaryNode, error?: number): void {
		const { id, to, phash } = stanza.attrs;
		const ack = node('ack', { class: 'message', id, from: to, t: unixTime(), ...(phash ? { phash } : {}), ...(error ? { error: String(error) } : {}) });
		const delay = this.ctx.faults.ackDelay;
		if (delay) setTimeout(() => connection.send(ack), delay);
		else connection.send(ack);
	}

	/** A contact or a primary phone decrypts what was sent to it, and records it. */
	private async decryptAt(user: UserRecord, sender: AccountRecord, companion: Companion, stanza: BinaryNode, enc: BinaryNode): Promise<void> {
		const peer: SignalPeer = user.kind === 'contact' ? user.peer : user.primary;
		const from = pnJid(sender.phone, companion.deviceId);
		const { id, to } = stanza.attrs;
		const encryption = enc.attrs.type === 'pkmsg' ? 'pkmsg' : 'msg';
		let message: proto.Message;
		try {
			message = await peer.decrypt(lidAddress(sender.lid), companion.deviceId, encryption, enc.content as Uint8Array);
		} catch (error) {
			this.ctx.events.push({ type: 'decrypt.failed', recipient: user.phone, from, id, error: String(error) });
			return;
		}
		this.ctx.changed();
		const ownDevice = user.kind === 'account' && user.phone === sender.phone;
		const content = message.deviceSentMessage?.message ?? message;
		const received: ReceivedMessage = { id, from, fromPhone: sender.phone, addressedTo: bareJid(to), at: Date.now(), encryption, message: content, text: textOf(content) };
		if (content.imageMessage) this.openImage(content.imageMessage, received);
		this.record(user.phone, received);
		if (user.kind === 'account') {
			this.ctx.events.push({ type: 'phone.received', phone: user.phone, from, id, message: content });
			return;
		}
		this.ctx.events.push({ type: 'contact.received', contact: user.phone, from, id, text: received.text, message: content });
		if (user.autoDeliveryReceipts && !ownDevice) this.receipt(received.addressedTo, sender, [id]);
	}

	private openImage(image: proto.Message.IImageMessage, into: ReceivedMessage): void {
		try {
			into.image = { bytes: this.ctx.media.decrypt(image, 'image'), mimetype: image.mimetype ?? undefined, caption: image.caption ?? undefined };
		} catch (error) {
			into.imageError = String(error);
		}
	}

	private record(phone: string, received: ReceivedMessage): void {
		let list = this.received.get(phone);
		if (!list) this.received.set(phone, (list = []));
		list.push(received);
	}

	/** Pass a companion's ciphertext on to another companion (of another account, or its own). */
	private forward(sender: AccountRecord, companion: Companion, recipient: AccountRecord, device: number, stanza: BinaryNode, enc: BinaryNode): void {
		const target = recipient.companions.get(device);
		if (!target) return;
		const { id, to, type } = stanza.attrs;
		const byLid = to.endsWith('@lid');
		const from = byLid ? lidJid(sender.lid, companion.deviceId) : pnJid(sender.phone, companion.deviceId);
		const attrs: Record<string, string> =
			recipient === sender
				? { from, recipient: to, id, t: unixTime(), type }
				: byLid
					? { from, sender_pn: pnJid(sender.phone), addressing_mode: 'lid', id, t: unixTime(), type, notify: sender.name }
					: { from, sender_lid: lidJid(sender.lid), addressing_mode: 'pn', id, t: unixTime(), type, notify: sender.name };
		const identity = child(stanza, 'device-identity');
		this.deliver(recipient, target, node('message', attrs, [enc, ...(identity ? [identity] : [])]));
	}

	/** Send to a companion now, or keep it for its next login. */
	deliver(account: AccountRecord, companion: Companion, stanza: BinaryNode): void {
		const connection = this.ctx.online.companion(account, companion.deviceId);
		if (!connection) {
			companion.offline.push(stanza);
			return;
		}
		connection.send(stanza);
		if (stanza.tag === 'receipt') connection.unacked.set(ackKey('receipt', stanza.attrs.id, stanza.attrs.from), stanza);
		if (stanza.tag === 'message') {
			const encryption = child(stanza, 'enc')?.attrs.type;
			this.ctx.events.push({ type: 'message.delivered', device: connection.deviceJid!, from: stanza.attrs.from, id: stanza.attrs.id, encryption, offline: false });
		}
	}

	/** A contact sends a message to every linked companion of an account, encrypted for each. */
	async sendFromContact(contact: ContactRecord, account: AccountRecord, message: proto.IMessage, id = messageId()): Promise<string> {
		this.ctx.faults.contactWrote(account.phone, contact.phone, String(contact.lid));
		const from = contact.addressing === 'lid' ? lidJid(contact.lid) : pnJid(contact.phone);
		const alt: Record<string, string> = contact.addressing === 'lid' ? { sender_pn: pnJid(contact.phone) } : { sender_lid: lidJid(contact.lid) };
		const media: Record<string, string> = message.imageMessage ? { mediatype: 'image' } : {};
		for (const companion of account.companions.values()) {
			const { type, ciphertext } = await contact.peer.encrypt(lidAddress(account.lid), companion.deviceId, message, () => companionBundle(companion));
			const attrs = { from, ...alt, addressing_mode: contact.addressing, id, t: unixTime(), type: message.imageMessage ? 'media' : 'text', notify: contact.name };
			this.deliver(account, companion, node('message', attrs, [node('enc', { v: '2', type, ...media }, ciphertext)]));
		}
		this.ctx.changed();
		return id;
	}

	/** A receipt to every companion of the sender: delivered (no type), `read` or `played`. */
	receipt(from: string, sender: AccountRecord, ids: string[], type?: 'read' | 'played'): void {
		const [first, ...more] = ids;
		const list = more.length ? [node('list', {}, more.map(id => node('item', { id })))] : undefined;
		const stanza = node('receipt', { from, id: first, t: unixTime(), ...(type ? { type } : {}) }, list);
		for (const companion of sender.companions.values()) this.deliver(sender, companion, stanza);
	}

	/** A contact's presence (and typing) as its subscribers see it. */
	presence(contact: ContactRecord, account: AccountRecord, presence: 'available' | 'unavailable'): void {
		this.contactPresence.set(contact.phone, presence);
		const from = contact.addressing === 'lid' ? lidJid(contact.lid) : pnJid(contact.phone);
		for (const connection of this.ctx.online.ofAccount(account)) connection.send(node('presence', { from, ...(presence === 'unavailable' ? { type: 'unavailable', last: unixTime() } : {}) }));
	}

	chatstate(contact: ContactRecord, account: AccountRecord, state: 'composing' | 'paused' | 'recording'): void {
		const from = contact.addressing === 'lid' ? lidJid(contact.lid) : pnJid(contact.phone);
		const content = state === 'recording' ? node('composing', { media: 'audio' }) : node(state);
		for (const connection of this.ctx.online.ofAccount(account)) connection.send(node('chatstate', { from }, [content]));
	}

	/** A companion's ack of a stanza sent to it: a receipt it acked is not delivered again. */
	onAck(connection: Connection, stanza: BinaryNode): void {
		const { id, to } = stanza.attrs;
		connection.unacked.delete(ackKey(stanza.attrs.class, id, to));
	}

	/** A companion's socket closed: the receipts it never acked go to its next connection. */
	onClose(connection: Connection): void {
		const { account, companion } = connection;
		if (!account || !companion || connection.unacked.size === 0) return;
		const unacked = [...connection.unacked.values()];
		connection.unacked.clear();
		const live = this.ctx.online.companion(account, companion.deviceId);
		if (live && live !== connection) for (const stanza of unacked) live.send({ ...stanza, attrs: { ...stanza.attrs, offline: '1' } });
		else companion.offline.unshift(...unacked);
	}

	/** Receipts a companion sends (delivered, read, …): recorded, and passed on when for another account. */
	onReceipt(connection: Connection, stanza: BinaryNode): void {
		const { id, to, type = 'delivery' } = stanza.attrs;
		const ids = [id, ...children(child(stanza, 'list'), 'item').map(item => item.attrs.id)];
		connection.send(node('ack', { class: 'receipt', id, from: to, ...(stanza.attrs.type ? { type: stanza.attrs.type } : {}) }));
		if (!connection.account) return;
		this.ctx.events.push({ type: 'receipt.sent', device: connection.deviceJid!, to, ids, receiptType: type });
		const target = this.ctx.directory.byJid(to);
		if (target?.kind === 'account' && target !== connection.account && (type === 'delivery' || type === 'read' || type === 'inactive')) {
			const from = to.endsWith('@lid') ? lidJid(connection.account.lid) : pnJid(connection.account.phone);
			this.receipt(from, target, ids, type === 'read' ? 'read' : undefined);
		}
	}

	onPresence(connection: Connection, stanza: BinaryNode): void {
		if (!connection.deviceJid) return;
		const { type = 'available', to } = stanza.attrs;
		this.ctx.events.push({ type: 'presence.sent', device: connection.deviceJid, presence: type, to });
		const contact = to ? this.ctx.directory.byJid(to) : undefined;
		const known = contact ? this.contactPresence.get(contact.phone) : undefined;
		if (type === 'subscribe' && contact?.kind === 'contact' && known) this.presence(contact, connection.account!, known);
	}

	onChatstate(connection: Connection, stanza: BinaryNode): void {
		const state = children(stanza)[0];
		if (!connection.deviceJid || !state) return;
		this.ctx.events.push({ type: 'chatstate.sent', device: connection.deviceJid, to: stanza.attrs.to, state: state.attrs.media === 'audio' ? 'recording' : state.tag });
	}
}

/** Names a stanza the way the companion's ack of it does (`class`, `id`, and the ack's `to` = the stanza's `from`). */
function ackKey(kind: string | undefined, id: string | undefined, from: string | undefined): string {
	return `${kind}:${id}:${from}`;
}
