import type { CampaignStatus } from '../../api/campaigns.ts';

export const STATUS_LABELS: Record<CampaignStatus, string> = {
	draft: 'Draft',
	scheduled: 'Scheduled',
	running: 'Running',
	completed: 'Completed',
	completed_with_failures: 'Completed with failures',
	failed: 'Failed',
	cancelled: 'Cancelled',
};

/** Not fired yet: the campaign can still be edited. */
export const EDITABLE: readonly CampaignStatus[] = ['draft', 'scheduled'];
/** What "cancel" can stop. */
export const CANCELLABLE: readonly CampaignStatus[] = ['scheduled', 'running'];
/** Fired and not cancelled: its failed messages can be queued again. */
export const RETRYABLE: readonly CampaignStatus[] = ['running', 'completed', 'completed_with_failures', 'failed'];
