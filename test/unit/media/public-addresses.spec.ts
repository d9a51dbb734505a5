import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../../services/media/download.ts';

describe('only public internet addresses count as public', () => {
	it.each(['8.8.8.8', '1.1.1.1', '203.0.114.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'])('%s is public', address => {
		expect(isPublicAddress(address)).toBe(true);
	});

	it.each([
		'127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
		'0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
		'::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::1', '2001:0:4136:e378::1', 'localhost', 'not an address',
		// IPv4 hidden in IPv6 forms, and ranges retired or set aside.
		'::127.0.0.1', '::7f00:1', '::ffff:0:7f00:1', 'fec0::1', '64:ff9b:1::a00:1', '::a00:1', '100::1', '2001:db8::1',
	])('%s is not', address => {
		expect(isPublicAddress(address)).toBe(false);
	});
});
