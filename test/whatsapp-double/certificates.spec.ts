import { X509Certificate } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { createNoisePki, encodeCertChain, verifyCertChain } from '../../services/whatsapp-double/certificates.ts';
import { generateKeyPair } from '../../services/whatsapp-double/keys.ts';
import { createTlsAuthority } from '../../services/whatsapp-double/tls-authority.ts';

/** Flip one bit of the intermediate's or the leaf's signature. */
function tamper(chain: Uint8Array, which: 'intermediate' | 'leaf'): Uint8Array {
	const decoded = proto.CertChain.decode(chain);
	const signature = Buffer.from(decoded[which]!.signature!);
	signature[10] ^= 0x01;
	decoded[which]!.signature = signature;
	return proto.CertChain.encode(decoded).finish();
}

describe('the Noise certificate chain the double presents', () => {
	const pki = createNoisePki();
	const chain = encodeCertChain(pki);

	it('verifies with a verifier that rejects bad signatures: root → intermediate → leaf = server key', () => {
		expect(verifyCertChain(chain, pki.root.public, pki.server.public)).toEqual({ ok: true });
		const { intermediate } = proto.CertChain.decode(chain);
		expect(proto.CertChain.NoiseCertificate.Details.decode(intermediate!.details!).issuerSerial).toBe(0);
	});

	it('fails on a tampered signature, another root, or another server key', () => {
		expect(verifyCertChain(tamper(chain, 'intermediate'), pki.root.public)).toEqual({ ok: false, reason: 'intermediate signature invalid' });
		expect(verifyCertChain(tamper(chain, 'leaf'), pki.root.public)).toEqual({ ok: false, reason: 'leaf signature invalid' });
		expect(verifyCertChain(chain, generateKeyPair().public)).toEqual({ ok: false, reason: 'intermediate signature invalid' });
		expect(verifyCertChain(chain, pki.root.public, generateKeyPair().public)).toEqual({ ok: false, reason: 'leaf key is not the server key' });
	});
});

describe('the TLS authority of the media host', () => {
	it('issues a server certificate for 127.0.0.1 and localhost that its CA signed', () => {
		const authority = createTlsAuthority();
		const ca = new X509Certificate(authority.caCert);
		const server = new X509Certificate(authority.cert);
		expect(ca.ca).toBe(true);
		expect(ca.verify(ca.publicKey)).toBe(true);
		expect(server.ca).toBe(false);
		expect(server.checkIssued(ca)).toBe(true);
		expect(server.verify(ca.publicKey)).toBe(true);
		expect(server.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
		expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
	});

	it('keeps the CA when given one back (a restarted double stays trusted)', () => {
		const first = createTlsAuthority();
		const again = createTlsAuthority(undefined, first);
		expect(again.caCert).toBe(first.caCert);
		expect(new X509Certificate(again.cert).verify(new X509Certificate(first.caCert).publicKey)).toBe(true);
	});
});
