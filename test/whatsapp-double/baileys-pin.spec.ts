import fs from 'node:fs';
import { createRequire } from 'node:module';
import * as baileys from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';

/**
 * The double speaks to one exact Baileys. An upgrade must fail here, loudly, before it fails
 * somewhere obscure: these are the versions and the exports the double relies on.
 */
const require = createRequire(import.meta.url);
const installed = (name: string) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
const project = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the Baileys the double was built against', () => {
	it('is exactly @whiskeysockets/baileys 7.0.0-rc14 with libsignal 6.0.0, pinned in package.json', () => {
		expect(installed('@whiskeysockets/baileys')).toBe('7.0.0-rc14');
		expect(installed('libsignal')).toBe('6.0.0');
		expect(project.dependencies['@whiskeysockets/baileys']).toBe('7.0.0-rc14');
		expect(project.dependencies.libsignal).toBe('6.0.0');
	});

	it('still lets a test trust another Noise root through WA_CERT_DETAILS.PUBLIC_KEY', () => {
		const { WA_CERT_DETAILS } = baileys;
		expect(Object.isFrozen(WA_CERT_DETAILS)).toBe(false);
		expect(Object.getOwnPropertyDescriptor(WA_CERT_DETAILS, 'PUBLIC_KEY')?.writable).toBe(true);
		expect(WA_CERT_DETAILS.SERIAL).toBe(0);
		const original = WA_CERT_DETAILS.PUBLIC_KEY;
		WA_CERT_DETAILS.PUBLIC_KEY = Buffer.alloc(32, 7);
		expect(baileys.WA_CERT_DETAILS.PUBLIC_KEY).toEqual(Buffer.alloc(32, 7));
		WA_CERT_DETAILS.PUBLIC_KEY = original;
	});

	it('still speaks the same Noise intro, modes and protobufs', () => {
		expect(baileys.NOISE_MODE).toBe('Noise_XX_25519_AESGCM_SHA256\0\0\0\0');
		expect([...baileys.NOISE_WA_HEADER]).toEqual([87, 65, 6, 3]);
		for (const message of ['HandshakeMessage', 'ClientPayload', 'CertChain', 'ADVSignedDeviceIdentityHMAC', 'ADVSignedDeviceIdentity', 'ADVDeviceIdentity', 'DeviceProps', 'Message']) {
			expect(typeof (baileys.proto as unknown as Record<string, { encode?: unknown }>)[message]?.encode, message).toBe('function');
		}
		expect(typeof baileys.proto.CertChain.NoiseCertificate.Details.encode).toBe('function');
	});

	it('still encodes binary nodes the same way', async () => {
		const node = { tag: 'iq', attrs: { id: '1', type: 'result', from: 's.whatsapp.net' }, content: [{ tag: 'count', attrs: { value: '812' } }] };
		const encoded = baileys.encodeBinaryNode(node);
		expect(encoded[0]).toBe(0);
		expect(await baileys.decodeBinaryNode(encoded)).toEqual(node);
	});

	it('still maps the server codes the double sends to the same DisconnectReasons', () => {
		const { DisconnectReason } = baileys;
		expect(DisconnectReason.loggedOut).toBe(401);
		expect(DisconnectReason.forbidden).toBe(403);
		expect(DisconnectReason.restartRequired).toBe(515);
		expect(DisconnectReason.connectionReplaced).toBe(440);
		expect(DisconnectReason.connectionLost).toBe(408);
		expect(DisconnectReason.connectionClosed).toBe(428);
		expect(baileys.getErrorCodeFromStreamError({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] }).statusCode).toBe(440);
	});

	it('still builds the QR the fake phone parses', () => {
		const qr = baileys.buildPairingQRData('2@ref', 'bm9pc2U=', 'aWRlbnRpdHk=', 'YWR2', ['Mac OS', 'Chrome', '14.4.1']);
		expect(qr).toBe('https://wa.me/settings/linked_devices#2@ref,bm9pc2U=,aWRlbnRpdHk=,YWR2,1');
	});
});
