import type { BinaryNode } from '@whiskeysockets/baileys';
import { companionBundle, lidJid, type Companion, type UserRecord } from './accounts.ts';
import type { Connection } from './connection.ts';
import { unixTime, type DoubleContext } from './context.ts';
import type { PreKeyBundle } from './signal-peer.ts';
import { bigEndian, bytes, child, children, firstChildTag, node, result, SERVER, serverId } from './stanzas.ts';

const KEY_TYPE = Buffer.from([5]);

/**
 * The `encrypt` iqs (pre-key upload and count, signed pre-key rotation, digest, fetching other
 * devices' bundles) and `usync` (which devices a user has, their LID, whether a number is on
 * WhatsApp). Sessions are keyed by LID, so every answer names users consistently by it.
 */
export class KeyAndUserQueries {
	constructor(private readonly ctx: DoubleContext) {}

	encrypt(connection: Connection, iq: BinaryNode): void {
		const companion = connection.companion;
		switch (firstChildTag(iq)) {
			case 'count':
				return connection.send(result(iq, [node('count', { value: String(companion?.preKeys.length ?? 0) })]));
			case 'digest':
				return connection.send(result(iq, [node('digest')]));
			case 'key':
				return connection.send(result(iq, [node('list', {}, this.bundles(child(iq, 'key')))]));
			case 'rotate': {
				const skey = child(child(iq, 'rotate'), 'skey');
				if (companion && skey) companion.signedPreKey = readSignedPreKey(skey);
				this.ctx.changed();
				return connection.send(result(iq));
			}
			default:
				if (companion && child(iq, 'list')) this.storePreKeys(connection.deviceJid!, companion, iq);
				return connection.send(result(iq));
		}
	}

	private storePreKeys(device: string, companion: Companion, iq: BinaryNode): void {
		const uploaded = children(child(iq, 'list'), 'key').map(key => ({ keyId: bytes(key, 'id')!.readUIntBE(0, 3), public: bytes(key, 'value')! }));
		const known = new Set(companion.preKeys.map(k => k.keyId));
		companion.preKeys.push(...uploaded.filter(k => !known.has(k.keyId)));
		const skey = child(iq, 'skey');
		if (skey) companion.signedPreKey = readSignedPreKey(skey);
		this.ctx.events.push({ type: 'prekeys.uploaded', device, count: uploaded.length });
		this.ctx.changed();
	}

	private bundles(request: BinaryNode | undefined): BinaryNode[] {
		const answers: BinaryNode[] = [];
		for (const { attrs } of children(request, 'user')) {
			const user = this.ctx.directory.byJid(attrs.jid);
			const deviceId = Number(attrs.jid.split('@')[0].split(':')[1] ?? 0);
			const bundle = user && this.bundleFor(user, deviceId);
			if (bundle) answers.push(bundleNode(attrs.jid, bundle));
		}
		return answers;
	}

	private bundleFor(user: UserRecord, deviceId: number): PreKeyBundle | undefined {
		if (user.kind === 'contact') return deviceId === 0 ? user.peer.bundle() : undefined;
		if (deviceId === 0) return user.primary.bundle();
		const companion = user.companions.get(deviceId);
		if (!companion) return undefined;
		const bundle = companionBundle(companion);
		this.ctx.changed();
		if (companion.preKeys.length < this.ctx.settings.preKeyLowWater) this.askForPreKeys(user.phone, companion);
		return bundle;
	}

	/** The server's "pre-keys low" notice: Baileys uploads a fresh batch when it gets it. */
	private askForPreKeys(phone: string, companion: Companion): void {
		const connection = this.ctx.online.get(`${phone}:${companion.deviceId}@s.whatsapp.net`);
		connection?.send(node('notification', { from: SERVER, type: 'encrypt', id: serverId(), t: unixTime() }, [node('count', { value: String(companion.preKeys.length) })]));
	}

	usync(connection: Connection, iq: BinaryNode): void {
		const usync = child(iq, 'usync');
		const protocols = children(child(usync, 'query')).map(q => q.tag);
		const users = children(child(usync, 'list'), 'user').map(user => {
			const byNumber = bytes(user, 'contact')?.toString('utf8');
			const jid = user.attrs.jid ?? `${(byNumber ?? '').replace(/\D/g, '')}@s.whatsapp.net`;
			const known = this.ctx.directory.byJid(jid);
			if (protocols.includes('contact')) this.ctx.events.push({ type: 'number.checked', device: connection.deviceJid, phone: jid.split('@')[0]!, onWhatsApp: known !== undefined });
			return node('user', { jid }, protocols.map(protocol => this.answer(protocol, known, byNumber)).filter(n => n !== undefined));
		});
		connection.send(result(iq, [node('usync', { ...usync?.attrs }, [node('list', {}, users)])]));
	}

	private answer(protocol: string, user: UserRecord | undefined, asked: string | undefined): BinaryNode | undefined {
		switch (protocol) {
			case 'devices':
				return node('devices', {}, [node('device-list', {}, user ? deviceList(user) : [])]);
			case 'lid':
				return user ? node('lid', { val: lidJid(user.lid) }) : undefined;
			case 'contact':
				return node('contact', { type: user ? 'in' : 'out' }, asked);
			case 'status':
				return user ? node('status', { t: unixTime() }, Buffer.from('Hey there! I am using WhatsApp.')) : undefined;
			case 'disappearing_mode':
				return user ? node('disappearing_mode', { duration: '0', t: '0' }) : undefined;
			default:
				return undefined;
		}
	}
}

function deviceList(user: UserRecord): BinaryNode[] {
	const primary = node('device', { id: '0' });
	if (user.kind === 'contact') return [primary];
	return [primary, ...[...user.companions.values()].map(c => node('device', { id: String(c.deviceId), 'key-index': String(c.keyIndex) }))];
}

function readSignedPreKey(skey: BinaryNode) {
	return { keyId: bytes(skey, 'id')!.readUIntBE(0, 3), public: bytes(skey, 'value')!, signature: bytes(skey, 'signature')! };
}

function bundleNode(jid: string, bundle: PreKeyBundle): BinaryNode {
	return node('user', { jid }, [
		node('registration', {}, bigEndian(bundle.registrationId, 4)),
		node('type', {}, KEY_TYPE),
		node('identity', {}, bundle.identityKey),
		node('skey', {}, [
			node('id', {}, bigEndian(bundle.signedPreKey.keyId, 3)),
			node('value', {}, bundle.signedPreKey.public),
			node('signature', {}, bundle.signedPreKey.signature),
		]),
		...(bundle.preKey ? [node('key', {}, [node('id', {}, bigEndian(bundle.preKey.keyId, 3)), node('value', {}, bundle.preKey.public)])] : []),
	]);
}
