/**
 * The month grid of the campaigns calendar: whole weeks from Monday, the days of the months
 * around it included, and the instants that bound it in the tenant's time zone. Pure.
 */
import { dateText, instantOf, isoWithOffset, wallTimeAt } from '$server/shared/zoned-time.ts';

export interface MonthRef {
	year: number;
	/** 1-12. */
	month: number;
}

export interface CalendarDay {
	/** `2026-03-08`. */
	date: string;
	day: number;
	/** False for the days of the previous and next months that fill the first and last weeks. */
	inMonth: boolean;
}

const DAY_MS = 86_400_000;

export function addMonths({ year, month }: MonthRef, count: number): MonthRef {
	const index = year * 12 + (month - 1) + count;
	return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The month it is now in `timeZone`. */
export function monthNow(timeZone: string, now = Date.now()): MonthRef {
	const { year, month } = wallTimeAt(now, timeZone);
	return { year, month };
}

/** The weeks (Monday to Sunday) that show `ref`: four to six of them. */
export function monthGrid(ref: MonthRef): CalendarDay[][] {
	const first = Date.UTC(ref.year, ref.month - 1, 1);
	const mondayBefore = first - ((new Date(first).getUTCDay() + 6) % 7) * DAY_MS;
	const weeks: CalendarDay[][] = [];
	for (let start = mondayBefore; weeks.length === 0 || new Date(start).getUTCMonth() === ref.month - 1; start += 7 * DAY_MS) {
		weeks.push(
			Array.from({ length: 7 }, (_, i) => {
				const day = new Date(start + i * DAY_MS);
				return { date: day.toISOString().slice(0, 10), day: day.getUTCDate(), inMonth: day.getUTCMonth() === ref.month - 1 };
			}),
		);
	}
	return weeks;
}

/** `[from, to)` of the grid: midnight of its first day to midnight after its last, in `timeZone`. */
export function gridRange(weeks: CalendarDay[][], timeZone: string): { from: string; to: string } {
	const midnight = (date: string, addDays = 0) => {
		const day = new Date(Date.parse(date) + addDays * DAY_MS);
		const at = instantOf({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: 0, minute: 0, second: 0 }, timeZone);
		return isoWithOffset(at, timeZone);
	};
	return { from: midnight(weeks[0][0].date), to: midnight(weeks.at(-1)!.at(-1)!.date, 1) };
}

/** The items by the day (`2026-03-08`) on which they fall in `timeZone`, each day in time order. */
export function byDay<T extends { scheduledAt: string }>(items: readonly T[], timeZone: string): Map<string, T[]> {
	const days = new Map<string, T[]>();
	for (const item of [...items].sort((a, b) => Date.parse(a.scheduledAt) - Date.parse(b.scheduledAt))) {
		const date = dateText(wallTimeAt(Date.parse(item.scheduledAt), timeZone));
		days.set(date, [...(days.get(date) ?? []), item]);
	}
	return days;
}
