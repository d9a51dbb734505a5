import { describe, expect, it } from 'vitest';
import type { CampaignDto } from '../../../web/src/lib/api/campaigns.ts';
import { formFor } from '../../../web/src/lib/components/campaigns/campaign-form.ts';

describe('the campaign editor starts from sensible fields in the tenant’s zone', () => {
	it('dates a new campaign on the first quarter hour an hour from now, on the tenant’s clock', () => {
		const now = Date.parse('2026-03-08T15:52:10Z'); // 23:52 in Kuala Lumpur
		expect(formFor(null, 'Asia/Kuala_Lumpur', now)).toMatchObject({ date: '2026-03-09', time: '01:00', targetStatus: 'all', greeting: 'none', minDelaySeconds: 20, maxDelaySeconds: 60, mediaId: null });
		expect(formFor(null, 'UTC', now)).toMatchObject({ date: '2026-03-08', time: '17:00' });
	});

	it('shows a saved campaign’s instant as the date and time in the tenant’s zone', () => {
		const campaign = { title: 'Sale', scheduledAt: '2026-07-01T01:30:00.000Z', niche: null, targetStatus: 'prospect', greeting: 'ms', minDelaySeconds: 5, maxDelaySeconds: 9, message: 'Hi {name}', mediaId: 'm-1' } as CampaignDto;
		expect(formFor(campaign, 'Asia/Kuala_Lumpur')).toEqual({
			title: 'Sale',
			date: '2026-07-01',
			time: '09:30',
			niche: '',
			targetStatus: 'prospect',
			greeting: 'ms',
			minDelaySeconds: 5,
			maxDelaySeconds: 9,
			message: 'Hi {name}',
			mediaId: 'm-1',
		});
		expect(formFor(campaign, 'America/Los_Angeles')).toMatchObject({ date: '2026-06-30', time: '18:30' });
	});
});
