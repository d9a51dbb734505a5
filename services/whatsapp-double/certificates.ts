import { proto } from '@whiskeysockets/baileys';
import { generateKeyPair, keyPairFromJson, keyPairToJson, sign, verify, type KeyPair } from './keys.ts';

/**
 * The double's own Noise PKI: a root that stands in for WhatsApp's long-term key, an intermediate
 * it signs, and a leaf (the server's static key) the intermediate signs. Clients trust the root by
 * setting Baileys' `WA_CERT_DETAILS.PUBLIC_KEY` to `root.public` (see client.ts).
 */
export interface NoisePki {
	root: KeyPair;
	intermediate: KeyPair;
	/** The server's static Noise key; the leaf certificate carries its public half. */
	server: KeyPair;
}

/** Serial numbers: the intermediate's issuer must be 0, which is what Baileys checks against. */
const ROOT_SERIAL = 0;
const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const VALIDITY_SECONDS = 10 * 365 * 24 * 3600;

let processPki: NoisePki | undefined;

/** One PKI per process by default, so every double in a process is trusted by the same setting. */
export function defaultNoisePki(): NoisePki {
	processPki ??= createNoisePki();
	return processPki;
}

export function createNoisePki(): NoisePki {
	return { root: generateKeyPair(), intermediate: generateKeyPair(), server: generateKeyPair() };
}

export function encodeCertChain(pki: NoisePki, now = Math.floor(Date.now() / 1000)): Uint8Array {
	const details = (serial: number, issuerSerial: number, key: Buffer) =>
		proto.CertChain.NoiseCertificate.Details.encode({
			serial,
			issuerSerial,
			key,
			notBefore: now - 3600,
			notAfter: now + VALIDITY_SECONDS,
		}).finish();
	const intermediateDetails = details(INTERMEDIATE_SERIAL, ROOT_SERIAL, pki.intermediate.public);
	const leafDetails = details(LEAF_SERIAL, INTERMEDIATE_SERIAL, pki.server.public);
	return proto.CertChain.encode({
		intermediate: { details: intermediateDetails, signature: sign(pki.root.private, intermediateDetails) },
		leaf: { details: leafDetails, signature: sign(pki.intermediate.private, leafDetails) },
	}).finish();
}

export type CertChainCheck = { ok: true } | { ok: false; reason: string };

/**
 * What a client should check, done with a verifier that rejects bad signatures: the root signed the
 * intermediate, the intermediate signed the leaf, the serials chain, and the leaf carries the key the
 * server proved it holds in the handshake.
 */
export function verifyCertChain(chain: Uint8Array, rootPublic: Uint8Array, serverStatic?: Uint8Array): CertChainCheck {
	const { intermediate, leaf } = proto.CertChain.decode(chain);
	if (!intermediate?.details || !intermediate.signature) return { ok: false, reason: 'intermediate certificate missing' };
	if (!leaf?.details || !leaf.signature) return { ok: false, reason: 'leaf certificate missing' };
	const intermediateDetails = proto.CertChain.NoiseCertificate.Details.decode(intermediate.details);
	const leafDetails = proto.CertChain.NoiseCertificate.Details.decode(leaf.details);
	if (intermediateDetails.issuerSerial !== ROOT_SERIAL) return { ok: false, reason: 'intermediate not issued by the root serial' };
	if (leafDetails.issuerSerial !== intermediateDetails.serial) return { ok: false, reason: 'leaf not issued by the intermediate' };
	if (!verify(rootPublic, intermediate.details, intermediate.signature)) return { ok: false, reason: 'intermediate signature invalid' };
	if (!intermediateDetails.key || !verify(intermediateDetails.key, leaf.details, leaf.signature)) return { ok: false, reason: 'leaf signature invalid' };
	if (serverStatic && !Buffer.from(leafDetails.key ?? []).equals(Buffer.from(serverStatic))) return { ok: false, reason: 'leaf key is not the server key' };
	return { ok: true };
}

export function noisePkiToJson(pki: NoisePki) {
	return { root: keyPairToJson(pki.root), intermediate: keyPairToJson(pki.intermediate), server: keyPairToJson(pki.server) };
}

export function noisePkiFromJson(json: ReturnType<typeof noisePkiToJson>): NoisePki {
	return { root: keyPairFromJson(json.root), intermediate: keyPairFromJson(json.intermediate), server: keyPairFromJson(json.server) };
}
