/**
 * The lead behind a chat, for the inbox's SQL: a number's leads are unique by phone, so a chat
 * (`chat`: an alias with `device_id` and `phone`) has at most one. The leads service owns this
 * table; this is the one way other services read it.
 */
export function chatLeadJoin(chat: string, lead = 'l'): string {
	return `left join leads ${lead} on ${lead}.device_id = ${chat}.device_id and ${lead}.phone = ${chat}.phone`;
}

/** The lead's columns a chat shows: its id, its name (null when blank) and whether it opted out. */
export function chatLeadColumns(lead = 'l'): string {
	return `${lead}.id as lead_id, nullif(${lead}.name, '') as lead_name, coalesce(${lead}.opted_out, false) as opted_out`;
}
