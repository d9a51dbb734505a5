import ipaddr from 'ipaddr.js';

/**
 * Which peers may tell the client's address (`X-Forwarded-For`) and protocol (`X-Forwarded-Proto`):
 * none (the default: every header is the client's own word), the last `hops` proxies in front of
 * this node, or the proxies at these addresses and ranges.
 */
export type ProxyTrust = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'ranges'; ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] };

/** `TRUST_PROXY`: unset, `false` or `0`; a number of hops; or addresses and CIDR ranges, comma-separated. */
export function parseProxyTrust(raw: string | undefined): ProxyTrust {
	const text = (raw ?? '').trim();
	if (!text || text === 'false' || text === '0') return { kind: 'none' };
	if (/^\d+$/.test(text)) return { kind: 'hops', hops: Number(text) };
	const ranges = text.split(',').map(part => {
		const entry = part.trim();
		try {
			if (entry.includes('/')) return ipaddr.parseCIDR(entry);
			const ip = ipaddr.parse(entry);
			return [ip, ip.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
		} catch {
			throw new Error(`TRUST_PROXY: "${entry}" is neither an address nor a range; use a hop count (1) or addresses and ranges such as 10.0.0.0/8, 127.0.0.1.`);
		}
	});
	return { kind: 'ranges', ranges };
}

/** An address as one form: IPv4-mapped IPv6 as the IPv4 it carries; null when it is not an address. */
function normalised(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
	const text = address.trim().replace(/^\[|\]$/g, '');
	return ipaddr.isValid(text) ? ipaddr.process(text) : null;
}

function trusted(trust: Extract<ProxyTrust, { kind: 'ranges' }>, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
	return trust.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/**
 * The client as the nearest untrusted party saw it. The connection's peer is where the request
 * came from; each trusted proxy in turn vouches for the address to its left in `X-Forwarded-For`.
 * Also tells whether the peer is a trusted proxy, so its `X-Forwarded-Proto` may be believed.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trust: ProxyTrust): { ip: string; viaTrustedProxy: boolean } {
	const peerIp = normalised(peer);
	const shown = peerIp?.toString() ?? peer;
	if (trust.kind === 'none' || !peerIp) return { ip: shown, viaTrustedProxy: false };
	const chain = forwardedFor ? forwardedFor.split(',').map(normalised) : [];
	if (trust.kind === 'hops') {
		// The peer is the nearest of `hops` proxies; the one furthest out wrote what it saw.
		const vouched = chain.length ? chain.at(-Math.min(trust.hops, chain.length)) : peerIp;
		return { ip: vouched?.toString() ?? shown, viaTrustedProxy: true };
	}
	if (!trusted(trust, peerIp)) return { ip: shown, viaTrustedProxy: false };
	let ip = peerIp;
	for (let i = chain.length - 1; i >= 0 && trusted(trust, ip); i--) {
		const next = chain[i];
		if (!next) break;
		ip = next;
	}
	return { ip: ip.toString(), viaTrustedProxy: true };
}
