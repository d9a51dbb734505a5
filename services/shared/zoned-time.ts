/**
 * The clock in an IANA time zone and the instants it shows, read from Intl (never hand-written
 * offsets). Pure and import-free: the campaign editor in the browser uses it as the server does.
 */

export interface WallTime {
	year: number;
	/** 1-12. */
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
}

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatIn(timeZone: string): Intl.DateTimeFormat {
	let format = formats.get(timeZone);
	if (!format) {
		const digits = '2-digit';
		format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: digits, day: digits, hour: digits, minute: digits, second: digits });
		formats.set(timeZone, format);
	}
	return format;
}

/** What the clock in `timeZone` shows at `at`. */
export function wallTimeAt(at: Date | number, timeZone: string): WallTime {
	const parts = Object.fromEntries(formatIn(timeZone).formatToParts(at).map(part => [part.type, Number(part.value)]));
	return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** The zone's offset from UTC at an instant, in minutes east. */
export function offsetMinutesAt(at: number, timeZone: string): number {
	const w = wallTimeAt(at, timeZone);
	return (Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(at / 1000) * 1000) / 60_000;
}

/**
 * The instant at which the clock in `timeZone` shows `wall`. A time skipped by a DST change
 * (02:30 when clocks jump from 02:00 to 03:00) is read with the offset before the jump, so it
 * lands as much later (03:30); a time that happens twice is the first of the two.
 */
export function instantOf(wall: WallTime, timeZone: string): number {
	const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
	const before = offsetMinutesAt(asUtc - DAY_MS, timeZone);
	const after = offsetMinutesAt(asUtc + DAY_MS, timeZone);
	const shown = [before, after].filter(offset => offsetMinutesAt(asUtc - offset * 60_000, timeZone) === offset).map(offset => asUtc - offset * 60_000);
	return shown.length ? Math.min(...shown) : asUtc - before * 60_000;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** `2026-03-08`. */
export const dateText = (w: Pick<WallTime, 'year' | 'month' | 'day'>) => `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;

/** `09:30`, or `09:30:15` when the seconds are not zero. */
export const timeText = (w: Pick<WallTime, 'hour' | 'minute' | 'second'>) => `${pad(w.hour)}:${pad(w.minute)}${w.second ? `:${pad(w.second)}` : ''}`;

/** The instant as ISO 8601 with the zone's offset then: `2026-03-08T09:30:00+08:00`. */
export function isoWithOffset(at: number, timeZone: string): string {
	const w = wallTimeAt(at, timeZone);
	const offset = Math.round(offsetMinutesAt(at, timeZone));
	const sign = offset < 0 ? '-' : '+';
	return `${dateText(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** `"2026-03-08"` and `"09:30"` (or `"09:30:15"`) as a wall time; null when either is not a real date or time. */
export function parseWallTime(date: string, time: string): WallTime | null {
	const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
	const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
	if (!d || !t) return null;
	const [year, month, day, hour, minute, second] = [d[1], d[2], d[3], t[1], t[2], t[3] ?? '0'].map(Number);
	const check = new Date(Date.UTC(year, month - 1, day));
	if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
	if (hour > 23 || minute > 59 || second > 59) return null;
	return { year, month, day, hour, minute, second };
}

/** A date and time typed in `timeZone` as ISO 8601 with its offset, or null when they are not valid. */
export function zonedIso(date: string, time: string, timeZone: string): string | null {
	const wall = parseWallTime(date, time);
	return wall ? isoWithOffset(instantOf(wall, timeZone), timeZone) : null;
}

/** The date and time fields for an instant, as shown in `timeZone`. */
export function zonedDateAndTime(at: string | number | Date, timeZone: string): { date: string; time: string } {
	const w = wallTimeAt(new Date(at), timeZone);
	return { date: dateText(w), time: timeText(w) };
}

/** `2026-12-01T09:00`, seconds and fraction optional, then `Z` or an offset such as `+08:00`. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * An ISO 8601 instant with its offset, or null when the text is not one or names a moment no
 * calendar has (`2031-02-30`, hour 24, an offset past ±14:00), or lies outside years 1970–9999.
 */
export function parseInstant(text: string): Date | null {
	const m = ISO_INSTANT.exec(text);
	if (!m) return null;
	const [year, month, day, hour, minute, second] = m.slice(1, 7).map(part => Number(part ?? 0));
	const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
	if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
	if (m[7] !== 'Z' && (Number(m[8]) > 14 || Number(m[9]) > 59)) return null;
	const at = Date.parse(text);
	return Number.isNaN(at) ? null : new Date(at);
}
