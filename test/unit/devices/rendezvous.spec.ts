import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { preferredNode } from '../../../services/devices/leases.ts';

describe('rendezvous placement', () => {
	const devices = Array.from({ length: 3000 }, () => randomUUID());

	it('a joining node takes about its share, and only devices move to it', () => {
		const before = new Map(devices.map(d => [d, preferredNode(d, ['a', 'b'])]));
		const after = new Map(devices.map(d => [d, preferredNode(d, ['a', 'b', 'c'])]));
		const moved = devices.filter(d => before.get(d) !== after.get(d));
		expect(moved.every(d => after.get(d) === 'c')).toBe(true);
		expect(moved.length / devices.length).toBeGreaterThan(0.28);
		expect(moved.length / devices.length).toBeLessThan(0.39);
	});

	it('a leaving node’s devices spread over the others, and nothing else moves', () => {
		const before = new Map(devices.map(d => [d, preferredNode(d, ['a', 'b', 'c'])]));
		const after = new Map(devices.map(d => [d, preferredNode(d, ['a', 'c'])]));
		for (const d of devices) {
			if (before.get(d) !== 'b') expect(after.get(d)).toBe(before.get(d));
		}
		const fromB = devices.filter(d => before.get(d) === 'b');
		const toA = fromB.filter(d => after.get(d) === 'a').length;
		expect(toA / fromB.length).toBeGreaterThan(0.4);
		expect(toA / fromB.length).toBeLessThan(0.6);
	});

	it('does not depend on the order nodes are listed in', () => {
		for (const d of devices.slice(0, 100)) expect(preferredNode(d, ['c', 'a', 'b'])).toBe(preferredNode(d, ['a', 'b', 'c']));
	});
});
