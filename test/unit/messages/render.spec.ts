import { describe, expect, it } from 'vitest';
import { WHATSAPP_TEXT_LIMIT } from '../../../services/messages/compose.ts';
import { MessageTooLongError, renderMessage } from '../../../services/messages/render.ts';

const message = (template: string, lead: Record<string, unknown>, greeting = 'none') => ({ template, lead, greeting, seed: '3EB0TEST', recipient: '+60123456789' });

describe('rendering a queued message for its recipient', () => {
	it('fills the template from the lead’s fields', () => {
		expect(renderMessage(message('Hi {name}, about {niche}', { name: 'Aisha', niches: ['shoes'] }), { timeZone: 'UTC' })).toBe('Hi Aisha, about shoes');
	});

	it('refuses a text that a long lead field pushes past what WhatsApp takes, rather than send it cut short', () => {
		const notes = 'n'.repeat(WHATSAPP_TEXT_LIMIT);
		expect(() => renderMessage(message('Hi {name}: {notes}', { name: 'Aisha', notes }), { timeZone: 'UTC' })).toThrow(MessageTooLongError);
		expect(() => renderMessage(message('Hi {name}: {notes}', { name: 'Aisha', notes }), { timeZone: 'UTC' })).toThrow(/too long: .* at most 4096/);
	});

	it('greets with the tenant’s own set of the message’s language, and with the shipped set of a language it has not changed', () => {
		// 01:00 UTC is 09:00 in Kuala Lumpur, where the +60 number is.
		const at = new Date('2026-03-08T01:00:00Z');
		const greetings = { en: [{ fromHour: 0, text: 'Night {name}!' }, { fromHour: 9, text: 'Morning {name}!' }] };
		expect(renderMessage(message('Sale today.', { name: 'Aisha' }, 'en'), { timeZone: 'UTC', greetings }, at)).toBe('Morning Aisha!\n\nSale today.');
		expect(renderMessage(message('Jualan hari ini.', { name: 'Aisha' }, 'ms'), { timeZone: 'UTC', greetings }, at)).toBe('Selamat pagi Aisha,\n\nJualan hari ini.');
		expect(renderMessage(message('Sale today.', { name: 'Aisha' }, 'none'), { timeZone: 'UTC', greetings }, at)).toBe('Sale today.');
	});
});
