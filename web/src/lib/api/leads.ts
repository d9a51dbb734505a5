import type {
	CreatedWebhookKey,
	CreateParams,
	ImportReport,
	ImportRowReport,
	LeadDto,
	LeadFilters,
	LeadPage,
	TargetStatus,
	UpdateParams,
	WebhookKeyStatus,
} from '$server/leads/leads.params.ts';
import { http, queryString } from './http.ts';

// The leads service's own contract, so the page and the server cannot drift apart.
export type { CreatedWebhookKey, CreateParams, ImportReport, ImportRowReport, LeadDto, LeadFilters, LeadPage, TargetStatus, WebhookKeyStatus };

export type LeadChanges = Omit<UpdateParams, 'id'>;

const leadPath = (id: string) => `/api/leads/${encodeURIComponent(id)}`;

/** `?device=…&niche=…` for the filters that are set, plus any paging; empty when there are none. */
export const leadQuery = (filters: LeadFilters, paging: { page?: number; pageSize?: number } = {}) => queryString({ ...filters, ...paging });

export const listLeads = (filters: LeadFilters, page: number, pageSize: number) => http.get<LeadPage>(`/api/leads${leadQuery(filters, { page, pageSize })}`);

export const createLead = (lead: CreateParams) => http.post<LeadDto>('/api/leads', lead);

export const updateLead = (id: string, changes: LeadChanges) => http.patch<LeadDto>(leadPath(id), changes);

export const deleteLead = (id: string) => http.delete(leadPath(id));

/** Uploads a CSV file; its `lead.import-progress` events carry the same `importId`. */
export const importLeadCsv = (csv: Blob | string, importId: string, spread = false) =>
	http.upload<ImportReport>(`/api/leads/import${queryString({ importId, spread: spread || undefined })}`, new Blob([csv], { type: 'text/csv' }));

/** Where the browser downloads the leads matching these filters as CSV. */
export const leadExportUrl = (filters: LeadFilters) => `/api/leads/export${leadQuery(filters)}`;

export const fetchWebhookKey = () => http.get<WebhookKeyStatus>('/api/leads/webhook-key');

export const createWebhookKey = () => http.post<CreatedWebhookKey>('/api/leads/webhook-key');

export const deleteWebhookKey = () => http.delete('/api/leads/webhook-key');
