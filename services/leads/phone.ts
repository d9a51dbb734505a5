import { parsePhoneNumberWithError, ParseError, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

export type PhoneResult = { phone: string } | { error: string };

const PARSE_REASONS: Record<string, string> = {
	NOT_A_NUMBER: 'is not a phone number',
	TOO_SHORT: 'is too short',
	TOO_LONG: 'is too long',
	INVALID_LENGTH: 'has the wrong number of digits',
};

/**
 * E.164 with the plus ("+60123456789") for a number as people type it: with its country code
 * ("+60 12-345 6789", "0060…") or, given the tenant's country, without ("012-345 6789").
 * Otherwise the reason it is refused, in words a user can act on.
 */
export function normalisePhone(raw: string, defaultCountry: string | null): PhoneResult {
	const text = raw.trim();
	if (!text) return { error: 'Phone is missing.' };
	const country = (defaultCountry ?? undefined) as CountryCode | undefined;
	// 00 is how most of the world dials out; the parser knows that only when it has a country.
	const dialled = text.replace(/^00/, '+');
	const international = dialled.startsWith('+');
	if (!country && !international) {
		return { error: `"${text}" has no country code: write it as +60…, or choose a default country in Settings.` };
	}
	let parsed;
	try {
		parsed = parsePhoneNumberWithError(dialled, { defaultCountry: country });
	} catch (err) {
		const code = err instanceof ParseError ? err.message : '';
		if (code === 'INVALID_COUNTRY') return { error: `"${text}" does not start with a country code we know.` };
		return { error: `"${text}" ${PARSE_REASONS[code] ?? 'is not a phone number'}.` };
	}
	if (parsed.isValid()) return { phone: parsed.number };
	const lengthProblem = validatePhoneNumberLength(dialled, { defaultCountry: country });
	const region = parsed.country ?? (international ? undefined : country);
	const where = region ? (regionNames.of(region) ?? region) : `+${parsed.countryCallingCode}`;
	if (lengthProblem && PARSE_REASONS[lengthProblem]) return { error: `"${text}" ${PARSE_REASONS[lengthProblem]} for ${where}.` };
	return { error: `"${text}" is not a valid number for ${where}.` };
}
