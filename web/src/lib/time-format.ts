/** Times as the pages show them: in the tenant's zone, in the reader's language. */

const formatters = new Map<string, Intl.DateTimeFormat>();

const STYLES = {
	dateTime: { dateStyle: 'medium', timeStyle: 'short' },
	time: { hour: '2-digit', minute: '2-digit' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

function formatterFor(style: keyof typeof STYLES, timeZone: string): Intl.DateTimeFormat {
	const key = `${style} ${timeZone}`;
	let formatter = formatters.get(key);
	if (!formatter) {
		try {
			formatter = new Intl.DateTimeFormat(undefined, { ...STYLES[style], timeZone });
		} catch {
			// A zone this browser does not know: fall back to the browser's own.
			formatter = new Intl.DateTimeFormat(undefined, STYLES[style]);
		}
		formatters.set(key, formatter);
	}
	return formatter;
}

/** Date and time, as in "1 Dec 2026, 10:13". */
export const dateTimeText = (at: Date | number, timeZone: string) => formatterFor('dateTime', timeZone).format(at);

/** The time of day alone, as in "09:30". */
export const timeOfDayText = (at: Date | number, timeZone: string) => formatterFor('time', timeZone).format(at);

/** An IANA zone name as people write it: "Asia/Kuala Lumpur". */
export const zoneName = (timeZone: string) => timeZone.replaceAll('_', ' ');

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of an instant in a zone, as a number of days (to compare days, not times). */
function dayNumber(at: Date | number, timeZone: string): number {
	let formatter = dayFormatters.get(timeZone);
	if (!formatter) {
		try {
			formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
		} catch {
			formatter = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });
		}
		dayFormatters.set(timeZone, formatter);
	}
	const [year, month, day] = formatter.format(at).split('-').map(Number);
	return Date.UTC(year!, month! - 1, day!) / 86_400_000;
}

/**
 * When a chat's last message came, as WhatsApp lists it: the time today ("15:04"), "Yesterday",
 * the weekday within the week, else the date. In the tenant's zone.
 */
export function chatTimeText(at: Date | number, timeZone: string, now: Date | number = Date.now()): string {
	const days = dayNumber(now, timeZone) - dayNumber(at, timeZone);
	if (days <= 0) return timeOfDayText(at, timeZone);
	if (days === 1) return 'Yesterday';
	const zone = { timeZone: safeZone(timeZone) };
	if (days < 7) return new Intl.DateTimeFormat(undefined, { ...zone, weekday: 'long' }).format(at);
	return new Intl.DateTimeFormat(undefined, { ...zone, day: 'numeric', month: 'short', year: 'numeric' }).format(at);
}

/** The day heading above a conversation's messages: "Today", "Yesterday", the weekday, else the date. */
export function chatDayText(at: Date | number, timeZone: string, now: Date | number = Date.now()): string {
	const days = dayNumber(now, timeZone) - dayNumber(at, timeZone);
	if (days <= 0) return 'Today';
	return chatTimeText(at, timeZone, now);
}

/** Whether two instants fall on the same day in a zone. */
export const sameDay = (a: Date | number, b: Date | number, timeZone: string) => dayNumber(a, timeZone) === dayNumber(b, timeZone);

function safeZone(timeZone: string): string | undefined {
	try {
		new Intl.DateTimeFormat(undefined, { timeZone });
		return timeZone;
	} catch {
		return undefined;
	}
}
