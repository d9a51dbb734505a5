import type { CampaignDto, CampaignFields, CampaignTarget } from '../../api/campaigns.ts';
import { zonedDateAndTime } from '$server/shared/zoned-time.ts';

/** What the editor's inputs hold: the date and time as typed in the tenant's zone. */
export interface CampaignForm {
	title: string;
	date: string;
	time: string;
	niche: string;
	targetStatus: CampaignTarget;
	greeting: NonNullable<CampaignFields['greeting']>;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	message: string;
	mediaId: string | null;
}

const QUARTER_HOUR_MS = 15 * 60_000;

/** What the form reads of a stored campaign (an AI campaign has these too). */
type Editable = Pick<CampaignDto, 'title' | 'scheduledAt' | 'niche' | 'targetStatus' | 'greeting' | 'minDelaySeconds' | 'maxDelaySeconds' | 'message' | 'mediaId'>;

/** A new campaign starts an hour or so from now, on a quarter hour, with the server's default delays. */
export function formFor(campaign: Editable | null, timeZone: string, now = Date.now()): CampaignForm {
	if (!campaign) {
		const at = Math.ceil((now + 60 * 60_000) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
		return { title: '', ...zonedDateAndTime(at, timeZone), niche: '', targetStatus: 'all', greeting: 'none', minDelaySeconds: 20, maxDelaySeconds: 60, message: '', mediaId: null };
	}
	return {
		title: campaign.title,
		...zonedDateAndTime(campaign.scheduledAt, timeZone),
		niche: campaign.niche ?? '',
		targetStatus: campaign.targetStatus,
		greeting: campaign.greeting as CampaignForm['greeting'],
		minDelaySeconds: campaign.minDelaySeconds,
		maxDelaySeconds: campaign.maxDelaySeconds,
		message: campaign.message,
		mediaId: campaign.mediaId,
	};
}
