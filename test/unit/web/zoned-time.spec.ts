import { describe, expect, it } from 'vitest';
import { cloneScheduledAt } from '../../../services/campaigns/campaign-dto.ts';
import { parseInstant, parseWallTime, zonedDateAndTime, zonedIso } from '../../../services/shared/zoned-time.ts';

describe('the editor turns a date and time in the tenant’s zone into an instant with its offset', () => {
	it('uses the zone’s own offset, whatever the browser’s zone', () => {
		expect(zonedIso('2026-03-08', '09:30', 'Asia/Kuala_Lumpur')).toBe('2026-03-08T09:30:00+08:00');
		expect(zonedIso('2026-07-01', '09:30:15', 'Europe/Lisbon')).toBe('2026-07-01T09:30:15+01:00');
		expect(zonedIso('2026-01-15', '09:30', 'Europe/Lisbon')).toBe('2026-01-15T09:30:00+00:00');
		expect(zonedIso('2026-01-15', '23:45', 'America/St_Johns')).toBe('2026-01-15T23:45:00-03:30');
		expect(zonedIso('2026-05-01', '08:00', 'Asia/Kathmandu')).toBe('2026-05-01T08:00:00+05:45');
		expect(new Date(zonedIso('2026-01-15', '09:30', 'America/New_York')!).toISOString()).toBe('2026-01-15T14:30:00.000Z');
	});

	it('picks the offset of the day itself on both sides of a DST change', () => {
		// New York springs forward on 8 March 2026 at 02:00 and falls back on 1 November at 02:00.
		expect(zonedIso('2026-03-07', '12:00', 'America/New_York')).toBe('2026-03-07T12:00:00-05:00');
		expect(zonedIso('2026-03-08', '12:00', 'America/New_York')).toBe('2026-03-08T12:00:00-04:00');
		expect(zonedIso('2026-03-08', '01:59', 'America/New_York')).toBe('2026-03-08T01:59:00-05:00');
		expect(zonedIso('2026-03-08', '03:00', 'America/New_York')).toBe('2026-03-08T03:00:00-04:00');
	});

	it('moves a time the clocks skip forward by the jump, and takes the first of a time that happens twice', () => {
		expect(zonedIso('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
		expect(zonedIso('2026-03-29', '01:15', 'Europe/London')).toBe('2026-03-29T02:15:00+01:00');
		expect(zonedIso('2026-11-01', '01:30', 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
		expect(zonedIso('2026-10-25', '01:30', 'Europe/London')).toBe('2026-10-25T01:30:00+01:00');
		// Lord Howe Island moves by half an hour.
		expect(zonedIso('2026-10-04', '02:15', 'Australia/Lord_Howe')).toBe('2026-10-04T02:45:00+11:00');
	});

	it('reads an instant back into the fields the editor shows', () => {
		expect(zonedDateAndTime('2026-03-08T01:30:00Z', 'Asia/Kuala_Lumpur')).toEqual({ date: '2026-03-08', time: '09:30' });
		expect(zonedDateAndTime('2026-12-31T23:30:05Z', 'Pacific/Auckland')).toEqual({ date: '2027-01-01', time: '12:30:05' });
		for (const [date, time, zone] of [['2026-11-01', '01:30', 'America/New_York'], ['2026-06-30', '18:05:30', 'Asia/Kolkata']]) {
			expect(zonedDateAndTime(zonedIso(date, time, zone)!, zone)).toEqual({ date, time });
		}
	});

	it('refuses dates and times that do not exist on any calendar', () => {
		for (const [date, time] of [['2026-02-30', '09:00'], ['2026-13-01', '09:00'], ['2026-03-08', '24:00'], ['2026-03-08', '9:00'], ['', '09:00'], ['2026-03-08', '']]) {
			expect(parseWallTime(date, time), `${date} ${time}`).toBeNull();
			expect(zonedIso(date, time, 'UTC')).toBeNull();
		}
	});

	it('dates a clone today at the original’s local time, across a DST change', () => {
		const original = new Date('2026-01-10T14:30:00Z'); // 09:30 in New York (winter)
		expect(cloneScheduledAt(original, 'America/New_York', new Date('2026-03-20T15:00:00Z')).toISOString()).toBe('2026-03-20T13:30:00.000Z');
		// Just after midnight in Kuala Lumpur it is still the day before in UTC: "today" is the tenant's day.
		expect(cloneScheduledAt(new Date('2026-01-10T01:00:00Z'), 'Asia/Kuala_Lumpur', new Date('2026-03-19T16:30:00Z')).toISOString()).toBe('2026-03-20T01:00:00.000Z');
	});
});

describe('reading an instant someone typed', () => {
	it('takes ISO 8601 with its offset, and refuses dates no calendar has instead of rolling them over', () => {
		expect(parseInstant('2026-12-01T09:00:00+08:00')?.toISOString()).toBe('2026-12-01T01:00:00.000Z');
		expect(parseInstant('2026-12-01T09:00Z')?.toISOString()).toBe('2026-12-01T09:00:00.000Z');
		expect(parseInstant('2028-02-29T00:00:00.123Z')?.toISOString()).toBe('2028-02-29T00:00:00.123Z');
		for (const text of ['2031-02-30T10:00:00Z', '2027-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T09:00:00', '2026-12-01T09:00:00+15:00', '-271821-04-20T00:00:00Z', '1969-12-31T23:59:59Z', 'garbage', '']) {
			expect([text, parseInstant(text)]).toEqual([text, null]);
		}
	});
});
