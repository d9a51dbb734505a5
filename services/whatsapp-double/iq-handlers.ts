import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import type { DoubleContext } from './context.ts';
import type { KeyAndUserQueries } from './key-and-user-queries.ts';
import type { LoginFlow } from './login.ts';
import type { Pairing } from './pairing.ts';
import { child, firstChildTag, node, result } from './stanzas.ts';

const MEDIA_CONN_TTL_SECONDS = '3600';

/** Privacy settings as a fresh account has them; `readreceipts=all` makes Baileys send `read` receipts. */
const PRIVACY = { readreceipts: 'all', last: 'all', online: 'all', profile: 'all', status: 'contacts', groupadd: 'all', calladd: 'all' };

/**
 * Answers the iqs a client sends: the ones that need real answers get them, anything else an
 * empty result (which keeps Baileys healthy: it only fails on an `<error>` child).
 */
export class IqHandlers {
	constructor(
		private readonly ctx: DoubleContext,
		private readonly login: LoginFlow,
		private readonly pairing: Pairing,
		private readonly queries: KeyAndUserQueries,
	) {}

	handle(connection: Connection, iq: BinaryNode): void {
		const { type, xmlns = '' } = iq.attrs;
		if (type === 'result') {
			if (child(iq, 'pair-device-sign')) this.pairing.onPairDeviceSign(connection, iq);
			return;
		}
		if (type === 'error') return;
		this.ctx.events.push({ type: 'iq', device: connection.deviceJid, xmlns, iqType: type, child: firstChildTag(iq) });
		switch (xmlns) {
			case 'w:p':
				return connection.send(result(iq));
			case 'encrypt':
				return this.queries.encrypt(connection, iq);
			case 'usync':
				return this.queries.usync(connection, iq);
			case 'md':
				return this.md(connection, iq);
			case 'abt':
				return connection.send(result(iq, [node('props', { protocol: '1', hash: 'double' })]));
			case 'blocklist':
				return connection.send(result(iq, [node('list', { dhash: 'double' })]));
			case 'privacy':
				return connection.send(type === 'get' && child(iq, 'privacy') ? result(iq, [privacySettings()]) : result(iq));
			case 'w:m':
				return connection.send(result(iq, [mediaConn(this.ctx)]));
			default:
				return connection.send(result(iq));
		}
	}

	private md(connection: Connection, iq: BinaryNode): void {
		const linkCode = child(iq, 'link_code_companion_reg');
		if (linkCode?.attrs.stage === 'companion_hello') return this.pairing.onCompanionHello(connection, iq, linkCode);
		if (linkCode?.attrs.stage === 'companion_finish') return this.pairing.onCompanionFinish(connection, iq, linkCode);
		if (child(iq, 'remove-companion-device')) return this.login.onLogout(connection, iq);
		connection.send(result(iq));
	}
}

function privacySettings(): BinaryNode {
	return node(
		'privacy',
		{},
		Object.entries(PRIVACY).map(([name, value]) => node('category', { name, value })),
	);
}

function mediaConn(ctx: DoubleContext): BinaryNode {
	return node('media_conn', { auth: ctx.media.auth, ttl: MEDIA_CONN_TTL_SECONDS, auth_ttl: '21600', max_buckets: '12' }, [
		node('host', { hostname: ctx.mediaHost(), maxContentLengthBytes: String(100 * 1024 * 1024) }),
	]);
}
