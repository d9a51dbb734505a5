import type { BinaryNode } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type AccountRecord, type Companion } from './accounts.ts';
import type { Connection, Registration } from './connection.ts';
import { unixTime, type DoubleContext } from './context.ts';
import { generateKeyPair } from './keys.ts';
import { LOGGED_OUT } from './login.ts';
import { advSecretFromKeyBundle, parsePairingQr, signedDeviceIdentity, unwrapWithCode, verifyDeviceSignature, wrapWithCode } from './pairing-crypto.ts';
import { bytes, child, node, result, SERVER, serverId } from './stanzas.ts';

export class PairingError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PairingError';
	}
}

const RESTART_REQUIRED = '515';

/**
 * The primary phone's side of linking a companion, by QR or by pairing code, and the server's
 * part around it: pair-success, checking the companion's pair-device-sign, then the 515 restart
 * after which the companion logs in with its new identity.
 */
export class Pairing {
	constructor(private readonly ctx: DoubleContext) {}

	/** The phone scans a QR: resolves with the new device's JID once the companion confirmed it. */
	scan(account: AccountRecord, qr: string): Promise<string> {
		const { ref, noiseKey, identityKey, advSecret } = parsePairingQr(qr);
		const connection = [...this.ctx.connections].find(c => c.isOpen && c.registration?.refs.has(ref) && c.clientStatic?.equals(noiseKey));
		const expiresAt = connection?.registration?.refs.get(ref);
		if (!connection || !expiresAt) return Promise.reject(new PairingError('QR code not valid: the companion is gone or the ref was never issued'));
		if (Date.now() >= expiresAt) return Promise.reject(new PairingError('QR code expired'));
		if (!connection.registration!.identityKey.equals(identityKey)) return Promise.reject(new PairingError('QR identity does not match the registering client'));
		return this.link(connection, account, advSecret, 'qr');
	}

	/** `companion_hello`: the client asked for a pairing code for `phone`; it shows the code to its user. */
	onCompanionHello(connection: Connection, iq: BinaryNode, stage: BinaryNode): void {
		const registration = connection.registration;
		const wrapped = bytes(stage, 'link_code_pairing_wrapped_companion_ephemeral_pub');
		if (!registration || !wrapped) return connection.send(result(iq));
		const phone = (stage.attrs.jid ?? '').split('@')[0];
		const ref = serverId();
		registration.linkCode = { phone, ref, wrappedEphemeral: wrapped };
		this.ctx.events.push({ type: 'pairing-code.requested', socketId: connection.id, phone });
		connection.send(result(iq, [node('link_code_companion_reg', {}, [node('link_code_pairing_ref', {}, Buffer.from(ref))])]));
	}

	/**
	 * The user types the code shown by the companion into the phone. The phone unwraps the
	 * companion's ephemeral key with it, answers with its own (wrapped the same way) and waits for
	 * the companion's key bundle (`companion_finish`).
	 */
	async enterCode(account: AccountRecord, code: string): Promise<string> {
		const connection = [...this.ctx.connections].reverse().find(c => c.isOpen && c.registration?.linkCode?.phone === account.phone);
		const linkCode = connection?.registration?.linkCode;
		if (!connection || !linkCode) throw new PairingError(`no companion is waiting for a pairing code for ${account.phone}`);
		const normalised = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
		const primaryEphemeral = generateKeyPair();
		const companionEphemeral = await unwrapWithCode(normalised, linkCode.wrappedEphemeral);
		const wrappedPrimary = await wrapWithCode(normalised, primaryEphemeral.public);
		const linked = new Promise<string>((resolve, reject) => {
			linkCode.abort = reject;
			linkCode.finish = async bundle => {
				try {
					const { advSecret } = advSecretFromKeyBundle(bundle, primaryEphemeral, companionEphemeral, account.primary.identity);
					resolve(await this.link(connection, account, advSecret, 'code'));
				} catch (error) {
					reject(error);
				}
			};
		});
		connection.send(
			node('notification', { from: SERVER, type: 'link_code_companion_reg', id: serverId(), t: unixTime() }, [
				node('link_code_companion_reg', {}, [
					node('link_code_pairing_ref', {}, Buffer.from(linkCode.ref)),
					node('primary_identity_pub', {}, account.primary.identity.public),
					node('link_code_pairing_wrapped_primary_ephemeral_pub', {}, wrappedPrimary),
				]),
			]),
		);
		return linked;
	}

	/** `companion_finish`: the companion's key bundle, from which the phone derives the ADV secret. */
	onCompanionFinish(connection: Connection, iq: BinaryNode, stage: BinaryNode): void {
		connection.send(result(iq));
		const bundle = bytes(stage, 'link_code_pairing_wrapped_key_bundle');
		const finish = connection.registration?.linkCode?.finish;
		if (bundle && finish) void finish(bundle);
	}

	private link(connection: Connection, account: AccountRecord, advSecret: Buffer, method: 'qr' | 'code'): Promise<string> {
		const registration = connection.registration as Registration;
		if (registration.pending) return Promise.reject(new PairingError('this companion is already being linked'));
		const companion: Companion = {
			deviceId: account.nextDeviceId++,
			keyIndex: account.nextKeyIndex++,
			noiseKey: connection.clientStatic!,
			identityKey: registration.identityKey,
			registrationId: registration.registrationId,
			signedPreKey: registration.signedPreKey,
			preKeys: [],
			platform: registration.platform,
			linkedAt: Date.now(),
			offline: [],
		};
		const iqId = serverId();
		const identity = signedDeviceIdentity(account.primary.identity, companion.identityKey, companion.keyIndex, advSecret);
		return new Promise<string>((resolve, reject) => {
			registration.pending = {
				iqId,
				account,
				companion,
				method,
				settle: error => (error ? reject(error) : resolve(pnJid(account.phone, companion.deviceId))),
			};
			connection.send(
				node('iq', { from: SERVER, type: 'set', id: iqId }, [
					node('pair-success', {}, [
						node('device-identity', {}, identity),
						node('platform', { name: 'android' }),
						node('device', { jid: pnJid(account.phone, companion.deviceId), lid: lidJid(account.lid, companion.deviceId) }),
						...(account.business ? [node('biz', { name: account.name })] : []),
					]),
				]),
			);
		});
	}

	/** The companion accepted the identity and signed it: the link is made, and it must reconnect. */
	onPairDeviceSign(connection: Connection, iq: BinaryNode): void {
		const pending = connection.registration?.pending;
		if (!pending || iq.attrs.id !== pending.iqId) return;
		const { account, companion } = pending;
		const reply = bytes(child(iq, 'pair-device-sign'), 'device-identity');
		if (!reply || !verifyDeviceSignature(reply, account.primary.identity.public, companion.identityKey)) {
			pending.settle(new PairingError('the companion signed its device identity wrongly'));
			connection.fail(LOGGED_OUT);
			return;
		}
		this.ctx.directory.addCompanion(account, companion);
		this.ctx.changed();
		const device = pnJid(account.phone, companion.deviceId);
		this.ctx.events.push({ type: 'device.linked', phone: account.phone, device, method: pending.method });
		connection.registration = undefined;
		pending.settle();
		connection.streamError({ code: RESTART_REQUIRED });
	}

	/** A registering socket closed before linking finished: whoever waits on it is told. */
	onClose(connection: Connection): void {
		const gone = new PairingError('the companion disconnected before linking finished');
		connection.registration?.pending?.settle(gone);
		connection.registration?.linkCode?.abort?.(gone);
	}
}
