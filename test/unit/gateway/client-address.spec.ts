import { describe, expect, it } from 'vitest';
import { clientAddress, parseProxyTrust } from '../../../services/gateway/client-address.ts';

describe('the client address behind proxies the operator trusts', () => {
	it('believes no header by default', () => {
		expect(clientAddress('::ffff:203.0.113.5', '10.0.0.1', parseProxyTrust(undefined))).toEqual({ ip: '203.0.113.5', viaTrustedProxy: false });
		expect(parseProxyTrust('false')).toEqual({ kind: 'none' });
		expect(parseProxyTrust('0')).toEqual({ kind: 'none' });
	});

	it('with trusted addresses, walks back from the peer while each hop is trusted', () => {
		const trust = parseProxyTrust('10.0.0.0/8, 127.0.0.1');
		expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', trust)).toEqual({ ip: '198.51.100.7', viaTrustedProxy: true });
		// A peer that is no proxy of ours is the client, whatever it says.
		expect(clientAddress('198.51.100.9', '10.1.2.3', trust)).toEqual({ ip: '198.51.100.9', viaTrustedProxy: false });
		// Every hop trusted: the leftmost address is all there is to go on.
		expect(clientAddress('127.0.0.1', '10.0.0.5', trust)).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true });
		// Garbage where an address should be stops the walk at the last real one.
		expect(clientAddress('127.0.0.1', 'not-an-address', trust)).toEqual({ ip: '127.0.0.1', viaTrustedProxy: true });
	});

	it('with a hop count, takes what the outermost counted proxy saw', () => {
		expect(clientAddress('10.0.0.1', '6.6.6.6, 198.51.100.7', parseProxyTrust('1'))).toEqual({ ip: '198.51.100.7', viaTrustedProxy: true });
		expect(clientAddress('10.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2', parseProxyTrust('2'))).toEqual({ ip: '198.51.100.7', viaTrustedProxy: true });
		expect(clientAddress('10.0.0.1', undefined, parseProxyTrust('1'))).toEqual({ ip: '10.0.0.1', viaTrustedProxy: true });
	});

	it('refuses a setting it cannot read, saying what it wants', () => {
		expect(() => parseProxyTrust('10.0.0.0/8, proxy.local')).toThrow(/"proxy.local" is neither an address nor a range/);
	});
});
