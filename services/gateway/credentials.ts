import { createHash } from 'node:crypto';
import type { Authentication } from '../users/users.params.ts';

export type CredentialKind = 'session' | 'token';

type Resolve = (kind: CredentialKind, secret: string) => Promise<Authentication | null>;

interface Entry {
	value: Promise<Authentication | null>;
	expiresAt: number;
}

/**
 * Remembers who a cookie or token belongs to for a few seconds, so a busy client costs one
 * lookup per TTL rather than one per request, and never past the credential's own expiry.
 * Logout and revocation events evict at once.
 */
export class CredentialCache {
	private readonly entries = new Map<string, Entry>();

	constructor(
		private readonly resolve: Resolve,
		private readonly ttlMs = 10_000,
		private readonly maxEntries = 50_000,
	) {}

	lookup(kind: CredentialKind, secret: string): Promise<Authentication | null> {
		const key = cacheKey(kind, hash(secret));
		const now = Date.now();
		const hit = this.entries.get(key);
		if (hit && hit.expiresAt > now) return hit.value;
		if (this.entries.size >= this.maxEntries) this.evictExpired(now);
		const value = this.resolve(kind, secret);
		const entry = { value, expiresAt: now + this.ttlMs };
		this.entries.set(key, entry);
		value.then(
			auth => {
				if (auth?.expiresAt) entry.expiresAt = Math.min(entry.expiresAt, Date.parse(auth.expiresAt));
			},
			() => this.entries.delete(key),
		);
		return value.then(auth => (auth?.expiresAt && Date.parse(auth.expiresAt) <= Date.now() ? null : auth));
	}

	forget(kind: CredentialKind, secretHash: string): void {
		this.entries.delete(cacheKey(kind, secretHash));
	}

	private evictExpired(now: number): void {
		for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
		if (this.entries.size >= this.maxEntries) this.entries.clear();
	}
}

function cacheKey(kind: CredentialKind, secretHash: string): string {
	return `${kind}:${secretHash}`;
}

/** Same digest the users service stores, so eviction events name cache keys directly. */
function hash(secret: string): string {
	return createHash('sha256').update(secret).digest('hex');
}
