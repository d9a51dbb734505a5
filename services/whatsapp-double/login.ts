import { randomBytes } from 'node:crypto';
import { proto, type BinaryNode } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type AccountRecord } from './accounts.ts';
import type { Connection } from './connection.ts';
import { unixTime, type DoubleContext } from './context.ts';
import { result, serverId } from './stanzas.ts';

/** Baileys maps 401 to `DisconnectReason.loggedOut`. */
export const LOGGED_OUT = 401;
const DEVICE_REMOVED = { tag: 'conflict', attrs: { type: 'device_removed' } };

/**
 * What happens right after the Noise handshake: a client with no identity yet registers (gets QR
 * refs; the phone then links it), a returning companion logs in (or is refused), and a logged-in
 * companion can log out, or be unlinked by its phone.
 */
export class LoginFlow {
	constructor(private readonly ctx: DoubleContext) {}

	onClientPayload(connection: Connection, payload: proto.ClientPayload): void {
		if (payload.devicePairingData) this.register(connection, payload.devicePairingData);
		else this.login(connection, String(payload.username ?? ''), payload.device ?? 0);
	}

	private register(connection: Connection, data: proto.ClientPayload.IDevicePairingRegistrationData): void {
		const props = data.deviceProps ? proto.DeviceProps.decode(data.deviceProps) : undefined;
		const now = Date.now();
		const { qrRefs, qrFirstRefMs, qrNextRefMs } = this.ctx.settings;
		const refs = Array.from({ length: qrRefs }, () => `2@${randomBytes(24).toString('base64')}`);
		connection.registration = {
			registrationId: Buffer.from(data.eRegid!).readUInt32BE(0),
			identityKey: Buffer.from(data.eIdent!),
			signedPreKey: { keyId: Buffer.from(data.eSkeyId!).readUIntBE(0, 3), public: Buffer.from(data.eSkeyVal!), signature: Buffer.from(data.eSkeySig!) },
			platform: props?.os ?? 'unknown',
			refs: new Map(refs.map((ref, i) => [ref, now + qrFirstRefMs + i * qrNextRefMs])),
		};
		this.ctx.events.push({ type: 'qr.refs-issued', socketId: connection.id, refs });
		connection.send({
			tag: 'iq',
			attrs: { from: 's.whatsapp.net', type: 'set', id: serverId(), xmlns: 'md' },
			content: [{ tag: 'pair-device', attrs: {}, content: refs.map(ref => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
		});
	}

	private login(connection: Connection, phone: string, deviceId: number): void {
		const account = this.ctx.directory.byNumber(phone);
		const device = pnJid(phone, deviceId);
		if (account?.kind === 'account' && account.bannedWith) return this.refuse(connection, account.bannedWith, phone, device);
		const companion = account?.kind === 'account' ? account.companions.get(deviceId) : undefined;
		if (!companion || !connection.clientStatic?.equals(companion.noiseKey)) return this.refuse(connection, LOGGED_OUT, phone, device);
		connection.account = account as AccountRecord;
		connection.companion = companion;
		connection.send({
			tag: 'success',
			attrs: {
				t: unixTime(),
				props: '1',
				abprops: '1',
				location: 'double',
				lid: lidJid(connection.account.lid, deviceId),
				creation: String(Math.floor(companion.linkedAt / 1000)),
			},
		});
		this.ctx.online.add(connection);
		this.ctx.events.push({ type: 'device.logged-in', phone, device, socketId: connection.id });
		const queued = companion.offline.splice(0);
		for (const stanza of queued) {
			const replayed = { ...stanza, attrs: { ...stanza.attrs, offline: '1' } };
			connection.send(replayed);
			if (stanza.tag === 'receipt') connection.unacked.set(`receipt:${stanza.attrs.id}:${stanza.attrs.from}`, replayed);
			if (stanza.tag === 'message') this.ctx.events.push({ type: 'message.delivered', device, from: stanza.attrs.from, id: stanza.attrs.id, offline: true });
		}
		connection.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] });
		if (this.ctx.faults.isSilenced(connection.account)) connection.silenced = true;
	}

	private refuse(connection: Connection, reason: number, phone: string, device: string): void {
		this.ctx.events.push({ type: 'login.refused', phone, device, reason });
		connection.fail(reason);
	}

	/** `remove-companion-device` from the client itself (Baileys' `logout()`). */
	onLogout(connection: Connection, iq: BinaryNode): void {
		connection.send(result(iq));
		const { account, companion } = connection;
		if (!account || !companion) return;
		this.ctx.directory.removeCompanion(account, companion.deviceId);
		this.ctx.changed();
		this.ctx.events.push({ type: 'device.logged-out', phone: account.phone, device: pnJid(account.phone, companion.deviceId) });
	}

	/** The phone removes a linked device: a live socket is told 401 (`device_removed`) and closed. */
	unlink(account: AccountRecord, deviceId: number): boolean {
		const live = this.ctx.online.companion(account, deviceId);
		if (!this.ctx.directory.removeCompanion(account, deviceId)) return false;
		this.ctx.changed();
		this.ctx.events.push({ type: 'device.unlinked', phone: account.phone, device: pnJid(account.phone, deviceId) });
		live?.streamError({ code: String(LOGGED_OUT) }, DEVICE_REMOVED);
		return true;
	}
}
