/** Facts the AI campaigns service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { AiCampaignDto, AiCampaignReport } from './ai-campaigns.params.ts';

/** Created, edited, fired, cancelled or completed: the whole new record. */
export const AI_CAMPAIGN_UPDATED = 'ai-campaign.updated';
export interface AiCampaignUpdated {
	userId: string;
	campaign: AiCampaignDto;
}

export const AI_CAMPAIGN_DELETED = 'ai-campaign.deleted';
export interface AiCampaignDeleted {
	userId: string;
	campaignId: string;
}

/** A campaign's report after its leads moved; at most about once a second per campaign. */
export const AI_CAMPAIGN_PROGRESS = 'ai-campaign.progress';
export interface AiCampaignProgress {
	userId: string;
	campaignId: string;
	report: AiCampaignReport;
}

/** The pool changed (an import, an edit, a campaign moving its leads): lists reread it. */
export const AI_LEADS_CHANGED = 'ai-leads.changed';
export interface AiLeadsChanged {
	userId: string;
}

export interface AiCampaignBrowserEvents {
	[AI_CAMPAIGN_UPDATED]: AiCampaignUpdated;
	[AI_CAMPAIGN_DELETED]: AiCampaignDeleted;
	[AI_CAMPAIGN_PROGRESS]: AiCampaignProgress;
	[AI_LEADS_CHANGED]: AiLeadsChanged;
}
export const AI_CAMPAIGN_BROWSER_EVENTS = browserEventNames<AiCampaignBrowserEvents>({
	[AI_CAMPAIGN_UPDATED]: true,
	[AI_CAMPAIGN_DELETED]: true,
	[AI_CAMPAIGN_PROGRESS]: true,
	[AI_LEADS_CHANGED]: true,
});
