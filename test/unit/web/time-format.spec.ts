import { describe, expect, it } from 'vitest';
import { dateTimeText, timeOfDayText, zoneName } from '../../../web/src/lib/time-format.ts';

const AT = Date.UTC(2026, 0, 15, 1, 5);

describe('the pages show times in the tenant’s zone', () => {
	it('writes the time of day on the tenant’s clock, whatever the machine’s zone', () => {
		expect(timeOfDayText(AT, 'Asia/Kuala_Lumpur')).toMatch(/\b09\D05\b/);
		expect(timeOfDayText(AT, 'Europe/Lisbon')).toMatch(/\b01\D05\b/);
		expect(dateTimeText(AT, 'America/St_Johns')).toMatch(/\b(9|21)\D35\b/);
	});

	it('falls back to the browser’s own zone for a zone it does not know, instead of failing', () => {
		expect(timeOfDayText(AT, 'Nowhere/Atlantis')).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(AT));
	});

	it('names a zone as people write it', () => {
		expect(zoneName('America/Port_of_Spain')).toBe('America/Port of Spain');
	});
});
