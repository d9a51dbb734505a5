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
