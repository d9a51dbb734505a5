import { describe, expect, it } from 'vitest';
import { capFreeAt, dailyCapOf, gapMs, inQuietHours, WARM_UP_DAILY_CAPS, type DevicePacing } from '../../../services/devices/pacing.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2026-11-23T12:00:00Z');
const pacing: DevicePacing = {
	minDelaySeconds: 20,
	maxDelaySeconds: 60,
	hourlyCap: 3,
	dailyCap: 5,
	warmUp: false,
	quietStartMinute: null,
	quietEndMinute: null,
	timeZone: 'Asia/Kuala_Lumpur',
	since: now - 30 * DAY,
};

describe('per-number pacing', () => {
	it('holds a number at its hourly cap until the oldest send of the hour is an hour old', () => {
		const sends = [now - 50 * 60_000, now - 30 * 60_000, now - 10 * 60_000];
		expect(capFreeAt(pacing, sends, now)).toBe(sends[0] + HOUR);
		expect(capFreeAt(pacing, sends.slice(1), now)).toBe(now);
	});

	it('holds it at its daily cap for the rest of the rolling day', () => {
		const sends = [now - 20 * HOUR, now - 15 * HOUR, now - 10 * HOUR, now - 5 * HOUR, now - 2 * HOUR];
		expect(capFreeAt(pacing, sends, now)).toBe(sends[0] + DAY);
	});

	it('warms a new number up: a small daily cap on its first days, its own cap after', () => {
		const fresh = { ...pacing, warmUp: true, dailyCap: 800, since: now - HOUR };
		expect(dailyCapOf(fresh, now)).toBe(WARM_UP_DAILY_CAPS[0]);
		expect(dailyCapOf({ ...fresh, since: now - 2.5 * DAY }, now)).toBe(WARM_UP_DAILY_CAPS[2]);
		expect(dailyCapOf({ ...fresh, since: now - 60 * DAY }, now)).toBe(800);
		expect(dailyCapOf({ ...fresh, warmUp: false }, now)).toBe(800);
	});

	it('keeps quiet hours in the tenant zone, across midnight', () => {
		// 12:00 UTC is 20:00 in Kuala Lumpur (UTC+8).
		expect(inQuietHours({ ...pacing, quietStartMinute: 19 * 60, quietEndMinute: 21 * 60 }, now)).toBe(true);
		expect(inQuietHours({ ...pacing, quietStartMinute: 22 * 60, quietEndMinute: 8 * 60 }, now)).toBe(false);
		expect(inQuietHours({ ...pacing, quietStartMinute: 22 * 60, quietEndMinute: 8 * 60 }, now + 3 * HOUR)).toBe(true);
		expect(inQuietHours(pacing, now)).toBe(false);
	});

	it("waits a random gap within the larger of the message's and the number's delays", () => {
		expect(gapMs({ minDelaySeconds: 5, maxDelaySeconds: 10 }, pacing, () => 0)).toBe(20_000);
		expect(gapMs({ minDelaySeconds: 5, maxDelaySeconds: 10 }, pacing, () => 1)).toBe(60_000);
		expect(gapMs({ minDelaySeconds: 90, maxDelaySeconds: 120 }, pacing, () => 0.5)).toBe(105_000);
		expect(gapMs({ minDelaySeconds: 0, maxDelaySeconds: 0 }, { ...pacing, minDelaySeconds: 0, maxDelaySeconds: 0 }, Math.random)).toBe(0);
	});
});
