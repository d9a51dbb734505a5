import type { AiCampaignDto, AiCampaignFields, AiCampaignReport, AiCampaignStatus, DeviceState } from '$server/ai-campaigns/ai-campaigns.params.ts';
import type { AiLeadDto, AiLeadFilters, AiLeadPage, AiLeadStatus } from '$server/ai-leads/ai-leads.params.ts';
import type { ImportReport } from '$server/leads/leads.params.ts';
import { http, queryString } from './http.ts';

// The AI services' own contract, so the pages and the server cannot drift apart.
export type { AiCampaignDto, AiCampaignFields, AiCampaignReport, AiCampaignStatus, AiLeadDto, AiLeadFilters, AiLeadPage, AiLeadStatus, DeviceState };

const campaignPath = (id: string) => `/api/ai-campaigns/${encodeURIComponent(id)}`;

export const listAiLeads = (filters: AiLeadFilters, page: number, pageSize: number) => http.get<AiLeadPage>(`/api/ai-leads${queryString({ ...filters, page, pageSize })}`);
export const importAiLeadCsv = (csv: Blob | string) => http.upload<ImportReport>('/api/ai-leads/import', new Blob([csv], { type: 'text/csv' }));
export const aiLeadExportUrl = (filters: AiLeadFilters) => `/api/ai-leads/export${queryString({ ...filters })}`;
export const returnAiLeadToPool = (id: string) => http.patch<AiLeadDto>(`/api/ai-leads/${encodeURIComponent(id)}`, { status: 'pending' });
export const deleteAiLead = (id: string) => http.delete(`/api/ai-leads/${encodeURIComponent(id)}`);

export const listAiCampaigns = () => http.get<AiCampaignDto[]>('/api/ai-campaigns');
export const fetchAiCampaign = (id: string) => http.get<AiCampaignDto>(campaignPath(id));
export const createAiCampaign = (fields: AiCampaignFields) => http.post<AiCampaignDto>('/api/ai-campaigns', fields);
export const updateAiCampaign = (id: string, fields: Partial<AiCampaignFields>) => http.patch<AiCampaignDto>(campaignPath(id), fields);
export const cancelAiCampaign = (id: string) => http.post<AiCampaignDto>(`${campaignPath(id)}/cancel`);
export const deleteAiCampaign = (id: string) => http.delete(campaignPath(id));
export const aiCampaignReport = (id: string) => http.get<AiCampaignReport>(`${campaignPath(id)}/report`);

export const AI_LEAD_STATUS_LABELS: Record<AiLeadStatus, string> = { pending: 'In the pool', assigned: 'Queued on a number', sent: 'Sent', failed: 'Failed' };
export const DEVICE_STATE_LABELS: Record<DeviceState, string> = { active: 'Taking leads', full: 'At its limit', failed: 'Failed', offline: 'Offline' };
export const AI_CAMPAIGN_STATUS_LABELS: Record<AiCampaignStatus, string> = { scheduled: 'Scheduled', running: 'Running', completed: 'Completed', cancelled: 'Cancelled' };
