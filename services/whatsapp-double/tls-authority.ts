import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A certificate authority made in memory at start, and a server certificate for 127.0.0.1 and
 * localhost signed by it: the media host (and `wss://`) are real TLS, and clients trust the CA
 * alone instead of turning certificate checks off. Written with node:crypto and a small DER
 * encoder so the double needs no `openssl` binary (the demo image has none).
 */
export interface TlsAuthority {
	/** PEM of the CA certificate: what clients add to their trusted roots. */
	caCert: string;
	caKey: string;
	/** PEM of the server certificate and its key, for `https.createServer`. */
	cert: string;
	key: string;
}

const CONSTRUCTED_SEQUENCE = 0x30;
const CONSTRUCTED_SET = 0x31;

function der(tag: number, ...parts: Buffer[]): Buffer {
	const body = Buffer.concat(parts);
	const length = body.length;
	let header: Buffer;
	if (length < 0x80) header = Buffer.from([tag, length]);
	else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
	else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
	return Buffer.concat([header, body]);
}

const sequence = (...parts: Buffer[]) => der(CONSTRUCTED_SEQUENCE, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => der(0xa0 + n, ...parts);
const octets = (data: Buffer) => der(0x04, data);
const bits = (data: Buffer, unused = 0) => der(0x03, Buffer.from([unused]), data);
const bool = (value: boolean) => der(0x01, Buffer.from([value ? 0xff : 0]));

/** DER integers are minimal: no leading zero bytes, except one to keep a high first bit positive. */
function integer(value: Buffer): Buffer {
	let start = 0;
	while (start < value.length - 1 && value[start] === 0) start++;
	const digits = value.subarray(start);
	return der(0x02, digits[0] & 0x80 ? Buffer.concat([Buffer.from([0]), digits]) : digits);
}

function oid(dotted: string): Buffer {
	const [a, b, ...rest] = dotted.split('.').map(Number);
	const out = [40 * a + b];
	for (const n of rest) {
		const chunk = [n & 0x7f];
		for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
		out.push(...chunk);
	}
	return der(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
	const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
	return der(0x17, Buffer.from(text, 'ascii'));
}

const commonName = (name: string) => sequence(der(CONSTRUCTED_SET, sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(name, 'utf8')))));
const extension = (id: string, critical: boolean, value: Buffer) => sequence(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

function spki(key: KeyObject): Buffer {
	return key.export({ type: 'spki', format: 'der' });
}

/** The key identifier: SHA-1 of the subjectPublicKey bits, as RFC 5280 suggests. */
function keyId(publicDer: Buffer): Buffer {
	return createHash('sha1').update(publicDer.subarray(publicDer.length - 65)).digest();
}

interface CertificateSpec {
	subject: string;
	issuer: string;
	publicKey: KeyObject;
	signingKey: KeyObject;
	issuerKeyId: Buffer;
	extensions: Buffer[];
}

function certificate(spec: CertificateSpec): string {
	const now = Date.now();
	const tbs = sequence(
		explicit(0, integer(Buffer.from([2]))),
		integer(randomBytes(16)),
		ECDSA_SHA256,
		commonName(spec.issuer),
		sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 5 * 365 * 24 * 3600_000))),
		commonName(spec.subject),
		spki(spec.publicKey),
		explicit(3, sequence(...spec.extensions, extension('2.5.29.35', false, sequence(der(0x80, spec.issuerKeyId))))),
	);
	const signature = sign('sha256', tbs, spec.signingKey);
	const body = sequence(tbs, ECDSA_SHA256, bits(signature)).toString('base64');
	return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const pemKey = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A server certificate for `hosts` (IPv4 addresses or DNS names), under a given or new CA. */
export function createTlsAuthority(hosts = ['127.0.0.1', 'localhost'], ca?: { caCert: string; caKey: string }): TlsAuthority {
	const caKeys = ca ? { privateKey: createPrivateKey(ca.caKey) } : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	const caPublic = createPublicKey(caKeys.privateKey);
	const caKeyId = keyId(spki(caPublic));
	const caCert =
		ca?.caCert ??
		certificate({
			subject: 'WhatsApp double local CA',
			issuer: 'WhatsApp double local CA',
			publicKey: caPublic,
			signingKey: caKeys.privateKey,
			issuerKeyId: caKeyId,
			extensions: [
				extension('2.5.29.19', true, sequence(bool(true))),
				extension('2.5.29.15', true, bits(Buffer.from([0x06]), 1)),
				extension('2.5.29.14', false, octets(caKeyId)),
			],
		});
	const server = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	const names = hosts.map(host =>
		/^\d+\.\d+\.\d+\.\d+$/.test(host) ? der(0x87, Buffer.from(host.split('.').map(Number))) : der(0x82, Buffer.from(host, 'ascii')),
	);
	const cert = certificate({
		subject: hosts[0],
		issuer: 'WhatsApp double local CA',
		publicKey: server.publicKey,
		signingKey: caKeys.privateKey,
		issuerKeyId: caKeyId,
		extensions: [
			extension('2.5.29.19', true, sequence()),
			extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7)),
			extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
			extension('2.5.29.17', false, sequence(...names)),
		],
	});
	return { caCert, caKey: pemKey(caKeys.privateKey), cert, key: pemKey(server.privateKey) };
}
