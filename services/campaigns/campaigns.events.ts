/** Facts the campaigns service broadcasts. Each carries `userId`: it is delivered to that user only. */
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

export const CAMPAIGN_BROWSER_EVENTS = [CAMPAIGN_UPDATED, CAMPAIGN_DELETED, CAMPAIGN_PROGRESS];
