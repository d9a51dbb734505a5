/** Facts the leads service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { ImportCounts, LeadDto } from './leads.params.ts';

/** Created by hand or by the webhook (an import announces itself with `lead.imported` instead). */
export const LEAD_CREATED = 'lead.created';
export interface LeadCreated {
	userId: string;
	lead: LeadDto;
}

/** Edited, updated by the webhook, or opted out by a stop word: the whole new record. */
export const LEAD_UPDATED = 'lead.updated';
export interface LeadUpdated {
	userId: string;
	lead: LeadDto;
}

export const LEAD_DELETED = 'lead.deleted';
export interface LeadDeleted {
	userId: string;
	leadId: string;
}

/** After each batch of a CSV import: `processed` of `total` data rows are done. */
export const LEAD_IMPORT_PROGRESS = 'lead.import-progress';
export interface LeadImportProgress {
	userId: string;
	importId: string;
	processed: number;
	total: number;
}

export const LEAD_IMPORTED = 'lead.imported';
export interface LeadImported extends ImportCounts {
	userId: string;
}

/** The leads events the owner's browser tabs receive, with their payloads. */
export interface LeadBrowserEvents {
	[LEAD_CREATED]: LeadCreated;
	[LEAD_UPDATED]: LeadUpdated;
	[LEAD_DELETED]: LeadDeleted;
	[LEAD_IMPORT_PROGRESS]: LeadImportProgress;
	[LEAD_IMPORTED]: LeadImported;
}
export const LEAD_BROWSER_EVENTS = browserEventNames<LeadBrowserEvents>({
	[LEAD_CREATED]: true,
	[LEAD_UPDATED]: true,
	[LEAD_DELETED]: true,
	[LEAD_IMPORT_PROGRESS]: true,
	[LEAD_IMPORTED]: true,
});
