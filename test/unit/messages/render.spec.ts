import { describe, expect, it } from 'vitest';
import { WHATSAPP_TEXT_LIMIT } from '../../../services/messages/compose.ts';
import { MessageTooLongError, renderMessage } from '../../../services/messages/render.ts';

const message = (body: string, vars: Record<string, unknown>) => ({ body, vars, greeting: 'none', waMessageId: '3EB0TEST', recipient: '+60123456789' });

describe('rendering a queued message for its recipient', () => {
	it('fills the template from the lead fields stored with the message', () => {
		expect(renderMessage(message('Hi {name}, about {niche}', { name: 'Aisha', niches: ['shoes'] }), 'UTC')).toBe('Hi Aisha, about shoes');
	});

	it('refuses a text that a long lead field pushes past what WhatsApp takes, rather than send it cut short', () => {
		const notes = 'n'.repeat(WHATSAPP_TEXT_LIMIT);
		expect(() => renderMessage(message('Hi {name}: {notes}', { name: 'Aisha', notes }), 'UTC')).toThrow(MessageTooLongError);
		expect(() => renderMessage(message('Hi {name}: {notes}', { name: 'Aisha', notes }), 'UTC')).toThrow(/too long: .* at most 4096/);
	});
});
