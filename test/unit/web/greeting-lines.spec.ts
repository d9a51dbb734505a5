import { describe, expect, it } from 'vitest';
import { freeHour, hourLabel } from '../../../web/src/lib/components/settings/greeting-lines.ts';

describe('a line added to a greeting set', () => {
	it('starts at the first free hour after the last line', () => {
		expect(freeHour([{ fromHour: 0 }, { fromHour: 5 }, { fromHour: 12 }])).toBe(13);
		expect(freeHour([{ fromHour: 0 }, { fromHour: 13 }, { fromHour: 14 }])).toBe(15);
		expect(freeHour([])).toBe(0);
	});

	it('wraps past midnight to an hour no line has', () => {
		expect(freeHour([{ fromHour: 22 }, { fromHour: 23 }, { fromHour: 0 }])).toBe(1);
		expect(freeHour([{ fromHour: 0 }, { fromHour: 23 }])).toBe(1);
	});

	it('shows the hour as the clock does', () => {
		expect(hourLabel(5)).toBe('05:00');
		expect(hourLabel(18)).toBe('18:00');
	});
});
