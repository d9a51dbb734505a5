import type { CampaignFields, CampaignStatus, CampaignTarget } from '../../api/campaigns.ts';

export type Greeting = NonNullable<CampaignFields['greeting']>;

export const STATUS_LABELS: Record<CampaignStatus, string> = {
	draft: 'Draft',
	scheduled: 'Scheduled',
	running: 'Running',
	completed: 'Completed',
	completed_with_failures: 'Completed with failures',
	failed: 'Failed',
	cancelled: 'Cancelled',
};

export const TARGET_LABELS: Record<CampaignTarget, string> = {
	all: 'All leads',
	prospect: 'Prospects',
	customer: 'Customers',
};

export const TARGETS = Object.keys(TARGET_LABELS) as CampaignTarget[];

/** The greeting a campaign's message starts with: none, or a language's greeting set. */
export const GREETING_LABELS: Record<Greeting, string> = {
	none: 'No greeting',
	en: 'English',
	ms: 'Malay',
};

/** Not fired yet: the campaign can still be edited. */
export const EDITABLE: readonly CampaignStatus[] = ['draft', 'scheduled'];
/** What "cancel" can stop. */
export const CANCELLABLE: readonly CampaignStatus[] = ['scheduled', 'running'];
/** Fired and not cancelled: its failed messages can be queued again. */
export const RETRYABLE: readonly CampaignStatus[] = ['running', 'completed', 'completed_with_failures', 'failed'];
