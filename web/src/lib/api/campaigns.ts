import type {
	CampaignDto,
	CampaignFields,
	CampaignStatus,
	CampaignTarget,
	Counters,
	ListDto,
	RecipientDto,
	RecipientsDto,
	RecipientsParams,
	ReportDto,
} from '$server/campaigns/campaigns.params.ts';
import type { MessageStatus } from '$server/messages/messages.params.ts';
import { ApiError, http, queryString } from './http.ts';

// The campaigns service's own contract, so the pages and the server cannot drift apart.
export type { CampaignDto, CampaignFields, CampaignStatus, CampaignTarget, Counters, ListDto, MessageStatus, RecipientDto, RecipientsDto, ReportDto };

export type RecipientsQuery = Omit<RecipientsParams, 'id'>;

/** No such campaign of yours: unknown or another user's (404), or not a campaign id at all. */
export const isNoSuchCampaign = (error: unknown) => error instanceof ApiError && (error.status === 404 || error.fieldMessage('id') !== undefined);

const campaignPath = (id: string) => `/api/campaigns/${encodeURIComponent(id)}`;

/** Campaigns scheduled in `[from, to)` and the counts of all of them by status. */
export const listCampaigns = (range: { from: string; to: string }) => http.get<ListDto>(`/api/campaigns${queryString(range)}`);

export const fetchCampaign = (id: string) => http.get<CampaignDto>(campaignPath(id));

export const createCampaign = (fields: CampaignFields) => http.post<CampaignDto>('/api/campaigns', fields);

export const updateCampaign = (id: string, fields: Partial<CampaignFields>) => http.patch<CampaignDto>(campaignPath(id), fields);

export const deleteCampaign = (id: string) => http.delete(campaignPath(id));

/** A draft copy, dated today. */
export const cloneCampaign = (id: string) => http.post<CampaignDto>(`${campaignPath(id)}/clone`);

export const cancelCampaign = (id: string) => http.post<CampaignDto>(`${campaignPath(id)}/cancel`);

export const fetchReport = (id: string) => http.get<ReportDto>(`${campaignPath(id)}/report`);

export const fetchRecipients = (id: string, query: RecipientsQuery) => http.get<RecipientsDto>(`${campaignPath(id)}/recipients${queryString(query)}`);

/** Queues the failed messages again: of one device, or of the whole campaign. */
export const retryFailed = (id: string, deviceId?: string) =>
	http.post<{ retried: number }>(`${campaignPath(id)}/retry-failed`, deviceId ? { deviceId } : {});

/** Sends the interrupted messages again, knowing a contact may get one twice. */
export const resendInterrupted = (id: string) => http.post<{ retried: number }>(`${campaignPath(id)}/resend-interrupted`, { mayDuplicate: true });
