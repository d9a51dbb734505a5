import type { EntityManager } from '@mikro-orm/postgresql';
import { Lead } from './lead.entity.ts';
import type { LeadRow } from './lead-store.ts';
import type { LeadDto } from './leads.params.ts';

export function toLeadDto(lead: Lead): LeadDto {
	return {
		id: lead.id,
		deviceId: lead.device.id,
		name: lead.name,
		phone: lead.phone,
		niches: lead.niches,
		targetStatus: lead.targetStatus,
		triggers: lead.triggers,
		notes: lead.notes ?? null,
		optedOut: lead.optedOut,
		optedOutAt: lead.optedOutAt?.toISOString() ?? null,
		createdAt: lead.createdAt.toISOString(),
		updatedAt: lead.updatedAt.toISOString(),
	};
}

/** The DTO of a row that bulk SQL returned, read through the entity so both paths agree. */
export function rowToLeadDto(em: EntityManager, row: LeadRow): LeadDto {
	return toLeadDto(em.map(Lead, row));
}
