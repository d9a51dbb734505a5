import type { EnrolmentDto, SequenceDto, SequenceFields, SequenceReport, StepDto, StepInput } from '$server/sequences/sequences.params.ts';
import { http, queryString } from './http.ts';

// The sequences service's own contract, so the pages and the server cannot drift apart.
export type { EnrolmentDto, SequenceDto, SequenceFields, SequenceReport, StepDto, StepInput };
export { DAY_SECONDS, MAX_STEPS } from '$server/sequences/sequences.params.ts';

const path = (id: string) => `/api/sequences/${encodeURIComponent(id)}`;

export const listSequences = () => http.get<SequenceDto[]>('/api/sequences');
export const getSequence = (id: string) => http.get<SequenceDto>(path(id));
export const createSequence = (fields: SequenceFields) => http.post<SequenceDto>('/api/sequences', fields);
export const updateSequence = (id: string, fields: Partial<SequenceFields>) => http.patch<SequenceDto>(path(id), fields);
export const deleteSequence = (id: string) => http.delete(path(id));
export const pauseSequence = (id: string) => http.post<SequenceDto>(`${path(id)}/pause`);
export const resumeSequence = (id: string) => http.post<SequenceDto>(`${path(id)}/resume`);
export const retrySequence = (id: string) => http.post<{ retried: number }>(`${path(id)}/retry`);
export const sequenceReport = (id: string) => http.get<SequenceReport>(`${path(id)}/report`);
export const sequenceEnrolments = (id: string, filters: { status?: string; step?: number; device?: string; page?: number }) =>
	http.get<{ items: EnrolmentDto[]; total: number; page: number; pageSize: number }>(`${path(id)}/enrolments${queryString(filters)}`);

/** A lead's enrolments, with the sequence each is in. */
export const leadEnrolments = (leadId: string) =>
	http.get<(EnrolmentDto & { sequenceId: string; sequenceName: string })[]>(`/api/leads/${encodeURIComponent(leadId)}/enrolments`);
