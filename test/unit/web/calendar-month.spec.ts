import { describe, expect, it } from 'vitest';
import { addMonths, byDay, gridRange, monthGrid, monthNow } from '../../../web/src/lib/calendar-month.ts';

describe('the campaigns calendar shows a month as whole weeks in the tenant’s zone', () => {
	it('starts on the Monday on or before the 1st and ends on the Sunday on or after the last day', () => {
		const march = monthGrid({ year: 2026, month: 3 }); // 1 March 2026 is a Sunday
		expect(march).toHaveLength(6);
		expect(march[0][0]).toEqual({ date: '2026-02-23', day: 23, inMonth: false });
		expect(march[0][6]).toEqual({ date: '2026-03-01', day: 1, inMonth: true });
		expect(march.at(-1)!.at(-1)).toEqual({ date: '2026-04-05', day: 5, inMonth: false });
		expect(march.flat().filter(d => d.inMonth).map(d => d.day)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
		for (const week of march) expect(week).toHaveLength(7);
	});

	it('needs only four weeks for a February that starts on a Monday, and crosses years', () => {
		const february = monthGrid({ year: 2027, month: 2 });
		expect(february).toHaveLength(4);
		expect(february[0][0].date).toBe('2027-02-01');
		expect(february[3][6].date).toBe('2027-02-28');
		const january = monthGrid({ year: 2027, month: 1 });
		expect(january[0][0].date).toBe('2026-12-28');
		expect(monthGrid({ year: 2024, month: 2 }).flat().filter(d => d.inMonth)).toHaveLength(29);
	});

	it('moves by months across years', () => {
		expect(addMonths({ year: 2026, month: 12 }, 1)).toEqual({ year: 2027, month: 1 });
		expect(addMonths({ year: 2026, month: 1 }, -1)).toEqual({ year: 2025, month: 12 });
		expect(addMonths({ year: 2026, month: 5 }, -17)).toEqual({ year: 2024, month: 12 });
	});

	it('knows the month in the tenant’s zone, not the browser’s', () => {
		const lastEveningOfMarchUtc = Date.parse('2026-03-31T20:00:00Z');
		expect(monthNow('UTC', lastEveningOfMarchUtc)).toEqual({ year: 2026, month: 3 });
		expect(monthNow('Asia/Kuala_Lumpur', lastEveningOfMarchUtc)).toEqual({ year: 2026, month: 4 });
	});

	it('asks for the campaigns between the first midnight and the midnight after the last day, with the offsets then', () => {
		const weeks = monthGrid({ year: 2026, month: 3 });
		expect(gridRange(weeks, 'Asia/Kuala_Lumpur')).toEqual({ from: '2026-02-23T00:00:00+08:00', to: '2026-04-06T00:00:00+08:00' });
		// London changes to summer time on 29 March: the range starts in GMT and ends in BST.
		expect(gridRange(weeks, 'Europe/London')).toEqual({ from: '2026-02-23T00:00:00+00:00', to: '2026-04-06T00:00:00+01:00' });
	});

	it('puts each campaign on its day in the tenant’s zone, in time order', () => {
		const items = [
			{ id: 'late', scheduledAt: '2026-03-08T15:30:00Z' }, // 23:30 in Kuala Lumpur
			{ id: 'next-day', scheduledAt: '2026-03-08T16:30:00Z' }, // 00:30 on the 9th
			{ id: 'early', scheduledAt: '2026-03-08T01:00:00Z' },
		];
		const days = byDay(items, 'Asia/Kuala_Lumpur');
		expect(days.get('2026-03-08')?.map(c => c.id)).toEqual(['early', 'late']);
		expect(days.get('2026-03-09')?.map(c => c.id)).toEqual(['next-day']);
		expect(byDay(items, 'UTC').get('2026-03-08')?.map(c => c.id)).toEqual(['early', 'late', 'next-day']);
	});
});
