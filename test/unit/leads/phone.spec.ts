import { describe, expect, it } from 'vitest';
import { normalisePhone } from '../../../services/leads/phone.ts';

describe('phone numbers as people type them become E.164, or a reason', () => {
	it('reads local numbers with the default country and international ones without it', () => {
		expect(normalisePhone('012-345 6789', 'MY')).toEqual({ phone: '+60123456789' });
		expect(normalisePhone('(03) 2161 2345', 'MY')).toEqual({ phone: '+60321612345' });
		expect(normalisePhone('+65 8123 4567', 'MY')).toEqual({ phone: '+6581234567' });
		expect(normalisePhone('0060 12 345 6789', null)).toEqual({ phone: '+60123456789' });
		expect(normalisePhone(' +1 (202) 555-0143 ', null)).toEqual({ phone: '+12025550143' });
	});

	it('says why a number is refused', () => {
		expect(normalisePhone('', 'MY')).toEqual({ error: 'Phone is missing.' });
		expect(normalisePhone('012-345 6789', null)).toEqual({ error: expect.stringMatching(/has no country code/) });
		expect(normalisePhone('123', 'MY')).toEqual({ error: '"123" is too short for Malaysia.' });
		expect(normalisePhone('12345678901234567890', 'MY')).toEqual({ error: '"12345678901234567890" is too long.' });
		expect(normalisePhone('call me', 'MY')).toEqual({ error: '"call me" is not a phone number.' });
		expect(normalisePhone('+999 1234567', null)).toEqual({ error: '"+999 1234567" does not start with a country code we know.' });
		expect(normalisePhone('+60 90 123 4567', null)).toEqual({ error: '"+60 90 123 4567" is not a valid number for Malaysia.' });
	});
});
