import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** From `fromHour` (0-23, the recipient's local time) until the next entry, greet with `text` (a template). */
export interface GreetingEntry {
	fromHour: number;
	text: string;
}
export type GreetingSet = readonly GreetingEntry[];

/**
 * The sets that ship. `{name}` in a greeting is left out when the lead has no usable name
 * ("Good morning," rather than "Good morning there,").
 */
export const GREETING_SETS = {
	en: [
		{ fromHour: 0, text: 'Hello {name},' },
		{ fromHour: 5, text: 'Good morning {name},' },
		{ fromHour: 12, text: 'Good afternoon {name},' },
		{ fromHour: 18, text: 'Good evening {name},' },
	],
	ms: [
		{ fromHour: 0, text: 'Selamat malam {name},' },
		{ fromHour: 5, text: 'Selamat pagi {name},' },
		{ fromHour: 12, text: 'Selamat tengah hari {name},' },
		{ fromHour: 14, text: 'Selamat petang {name},' },
		{ fromHour: 19, text: 'Selamat malam {name},' },
	],
} as const satisfies Record<string, GreetingSet>;

export type GreetingLanguage = keyof typeof GREETING_SETS;
export const GREETING_LANGUAGES = Object.keys(GREETING_SETS) as GreetingLanguage[];

/** A tenant's own versions of the shipped sets; a language left out greets with the shipped set. */
export type TenantGreetings = Partial<Record<GreetingLanguage, GreetingEntry[]>>;

/** The entry in force at `hour`; before a set's first entry, the day's last one still holds. */
export function greetingAt(set: GreetingSet, hour: number): GreetingEntry | undefined {
	const sorted = [...set].sort((a, b) => a.fromHour - b.fromHour);
	return sorted.findLast(entry => entry.fromHour <= hour) ?? sorted.at(-1);
}

/**
 * Countries for which Intl lists several zones (or none), and those most leads come from. A
 * country with several zones gets its most populous one.
 */
const COUNTRY_ZONES: Record<string, string> = {
	AC: 'Atlantic/St_Helena', AE: 'Asia/Dubai', AR: 'America/Argentina/Buenos_Aires', AU: 'Australia/Sydney', BD: 'Asia/Dhaka', BN: 'Asia/Brunei',
	BR: 'America/Sao_Paulo', CA: 'America/Toronto', CD: 'Africa/Kinshasa', CL: 'America/Santiago', CN: 'Asia/Shanghai',
	CY: 'Asia/Nicosia', DE: 'Europe/Berlin', EC: 'America/Guayaquil', EG: 'Africa/Cairo', ES: 'Europe/Madrid',
	FM: 'Pacific/Chuuk', FR: 'Europe/Paris', GB: 'Europe/London', GL: 'America/Nuuk', HK: 'Asia/Hong_Kong',
	ID: 'Asia/Jakarta', IN: 'Asia/Kolkata', JP: 'Asia/Tokyo', KE: 'Africa/Nairobi', KI: 'Pacific/Tarawa',
	KR: 'Asia/Seoul', KZ: 'Asia/Almaty', MH: 'Pacific/Majuro', MN: 'Asia/Ulaanbaatar', MX: 'America/Mexico_City',
	MY: 'Asia/Kuala_Lumpur', NG: 'Africa/Lagos', NZ: 'Pacific/Auckland', PF: 'Pacific/Tahiti', PG: 'Pacific/Port_Moresby',
	PH: 'Asia/Manila', PK: 'Asia/Karachi', PS: 'Asia/Hebron', PT: 'Europe/Lisbon', RU: 'Europe/Moscow',
	SA: 'Asia/Riyadh', SG: 'Asia/Singapore', TA: 'Atlantic/St_Helena', TH: 'Asia/Bangkok', TW: 'Asia/Taipei',
	UA: 'Europe/Kyiv', US: 'America/New_York', UZ: 'Asia/Tashkent', VN: 'Asia/Ho_Chi_Minh', XK: 'Europe/Belgrade',
	ZA: 'Africa/Johannesburg',
};

export function countryZone(country: string): string | undefined {
	return COUNTRY_ZONES[country] ?? onlyZoneOf(country);
}

/** The zone of a country that has exactly one, from the ICU data behind Intl. */
function onlyZoneOf(country: string): string | undefined {
	const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?(): string[] };
	const zones = locale.getTimeZones?.() ?? locale.timeZones;
	return zones?.length === 1 ? zones[0] : undefined;
}

/** The recipient's likely zone from the number's country, else `fallback` (the tenant's zone). */
export function recipientTimeZone(phone: string | null | undefined, fallback: string): string {
	if (!phone) return fallback;
	const country = parsePhoneNumberFromString(phone.startsWith('+') ? phone : `+${phone}`)?.country;
	return (country && countryZone(country)) || fallback;
}

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** The hour (0-23) on the clock in `timeZone` at `at`. */
export function hourIn(timeZone: string, at: Date): number {
	let format = hourFormats.get(timeZone);
	if (!format) {
		format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' });
		hourFormats.set(timeZone, format);
	}
	return Number(format.formatToParts(at).find(part => part.type === 'hour')!.value);
}
