/** Facts the campaigns service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { CampaignDto, ReportDto } from './campaigns.params.ts';

/** Created, edited, fired, finished or cancelled: the whole new record. */
export const CAMPAIGN_UPDATED = 'campaign.updated';
export interface CampaignUpdated {
	userId: string;
	campaign: CampaignDto;
}

export const CAMPAIGN_DELETED = 'campaign.deleted';
export interface CampaignDeleted {
	userId: string;
	campaignId: string;
}

/** The counters of a running campaign, in total and per device; at most every PROGRESS_INTERVAL_MS. */
export const CAMPAIGN_PROGRESS = 'campaign.progress';
export interface CampaignProgress {
	userId: string;
	report: ReportDto;
}

/** The campaigns events the owner's browser tabs receive, with their payloads. */
export interface CampaignBrowserEvents {
	[CAMPAIGN_UPDATED]: CampaignUpdated;
	[CAMPAIGN_DELETED]: CampaignDeleted;
	[CAMPAIGN_PROGRESS]: CampaignProgress;
}
export const CAMPAIGN_BROWSER_EVENTS = browserEventNames<CampaignBrowserEvents>({ [CAMPAIGN_UPDATED]: true, [CAMPAIGN_DELETED]: true, [CAMPAIGN_PROGRESS]: true });
