import { TARGET_STATUSES, type TargetStatus } from './lead.entity.ts';
import { LEAD_LIMITS } from './leads.params.ts';
import { normalisePhone } from './phone.ts';

/** What one source (the form, a CSV row, the webhook) says about a lead; empty means "not said". */
export interface LeadInput {
	/** A device id or, from a CSV or the webhook, a device name. */
	device?: string;
	phone?: string;
	name?: string;
	niches?: string[] | string;
	targetStatus?: string;
	triggers?: string[] | string;
	notes?: string | null;
}

/** A checked lead: device resolved, phone in E.164, tags as sets. Null scalars keep what is stored. */
export interface LeadValues {
	deviceId: string;
	phone: string;
	name: string | null;
	niches: string[];
	targetStatus: TargetStatus | null;
	triggers: string[];
	notes: string | null;
}

export interface FieldProblem {
	field: keyof LeadInput;
	message: string;
}

export interface DeviceRef {
	id: string;
	name: string;
}

/** The caller's devices, found by id or by name; a name two devices share is refused. */
export class DeviceDirectory {
	private readonly byId = new Map<string, DeviceRef>();
	private readonly byName = new Map<string, DeviceRef[]>();

	constructor(devices: DeviceRef[]) {
		for (const device of devices) {
			this.byId.set(device.id.toLowerCase(), device);
			const key = device.name.trim().toLowerCase();
			this.byName.set(key, [...(this.byName.get(key) ?? []), device]);
		}
	}

	resolve(ref: string): { id: string } | { error: string } {
		const text = ref.trim();
		if (!text) return { error: 'Name the device (its id or name).' };
		const byId = this.byId.get(text.toLowerCase());
		if (byId) return { id: byId.id };
		const named = this.byName.get(text.toLowerCase()) ?? [];
		if (named.length === 1) return { id: named[0].id };
		if (named.length > 1) return { error: `${named.length} of your devices are named "${text}": use the device id instead.` };
		return { error: `You have no device named or with the id "${text}".` };
	}

	/** Every device's id, in the order of their names: what an import spreads its rows over. */
	ids(): string[] {
		return [...this.byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)).map(d => d.id);
	}

	/** How an export names a device: its name when that finds it again, else its id. */
	label(id: string): string {
		const device = this.byId.get(id.toLowerCase());
		if (!device) return id;
		return this.byName.get(device.name.trim().toLowerCase())?.length === 1 ? device.name : device.id;
	}
}

/** Tags from an array or from one `;`-separated string, trimmed, empties dropped. */
export function splitTags(value: string[] | string | null | undefined): string[] {
	const parts = typeof value === 'string' ? value.split(';') : (value ?? []);
	return parts.map(t => t.trim()).filter(Boolean);
}

/** Each tag once, the first spelling kept; niches ignore case, trigger codes do not. */
export function uniqueTags(tags: string[], ignoreCase: boolean): string[] {
	const seen = new Set<string>();
	return tags.filter(tag => {
		const key = ignoreCase ? tag.toLowerCase() : tag;
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

function checkTags(field: 'niches' | 'triggers', raw: LeadInput[typeof field], problems: FieldProblem[]): string[] {
	const tags = uniqueTags(splitTags(raw), field === 'niches');
	const long = tags.find(t => t.length > LEAD_LIMITS.tag);
	if (long) problems.push({ field, message: `"${long.slice(0, 20)}…" is longer than ${LEAD_LIMITS.tag} characters.` });
	if (tags.length > LEAD_LIMITS.tags) problems.push({ field, message: `Use at most ${LEAD_LIMITS.tags} ${field}.` });
	return tags;
}

/**
 * Checks and normalises what a source said; every problem is reported, not just the first.
 * `devices` null: a lead of the AI pool, on no number (its `deviceId` is empty).
 */
export function checkLead(input: LeadInput, devices: DeviceDirectory | null, country: string | null): { values: LeadValues } | { problems: FieldProblem[] } {
	const problems: FieldProblem[] = [];
	// PostgreSQL cannot store a NUL character; a file that has one in a cell loses that row, not the import.
	for (const [field, value] of Object.entries(input) as [keyof LeadInput, unknown][]) {
		if ([value].flat().some(v => typeof v === 'string' && v.includes('\u0000'))) {
			problems.push({ field, message: 'This has an invisible NUL character (\\u0000); remove it.' });
		}
	}
	if (problems.length) return { problems };
	const device = devices ? devices.resolve(input.device ?? '') : { id: '' };
	if ('error' in device) problems.push({ field: 'device', message: device.error });
	const phone = normalisePhone(input.phone ?? '', country);
	if ('error' in phone) problems.push({ field: 'phone', message: phone.error });
	const name = input.name?.trim() || null;
	if (name && name.length > LEAD_LIMITS.name) problems.push({ field: 'name', message: `The name is longer than ${LEAD_LIMITS.name} characters.` });
	const status = input.targetStatus?.trim().toLowerCase() || null;
	if (status && !TARGET_STATUSES.includes(status as TargetStatus)) {
		problems.push({ field: 'targetStatus', message: `"${input.targetStatus}" is not a target status: use prospect or customer.` });
	}
	const notes = input.notes?.trim() || null;
	if (notes && notes.length > LEAD_LIMITS.notes) problems.push({ field: 'notes', message: `The notes are longer than ${LEAD_LIMITS.notes} characters.` });
	const niches = checkTags('niches', input.niches, problems);
	const triggers = checkTags('triggers', input.triggers, problems);
	if (problems.length || 'error' in device || 'error' in phone) return { problems };
	return { values: { deviceId: device.id, phone: phone.phone, name, niches, targetStatus: status as TargetStatus | null, triggers, notes } };
}

/** One lead from two sources: tag sets united, the later source's scalars winning where it has them. */
export function mergeLead(earlier: LeadValues, later: LeadValues): LeadValues {
	return {
		deviceId: earlier.deviceId,
		phone: earlier.phone,
		name: later.name ?? earlier.name,
		niches: uniqueTags([...earlier.niches, ...later.niches], true),
		targetStatus: later.targetStatus ?? earlier.targetStatus,
		triggers: uniqueTags([...earlier.triggers, ...later.triggers], false),
		notes: later.notes ?? earlier.notes,
	};
}

/** The columns a lead is stored with; what no source said takes the defaults. */
export function storedFields(values: LeadValues) {
	return {
		device: values.deviceId,
		phone: values.phone,
		name: values.name ?? '',
		niches: values.niches,
		targetStatus: values.targetStatus ?? 'prospect',
		triggers: values.triggers,
		notes: values.notes,
	};
}

export function sameLead(a: LeadValues, b: LeadValues): boolean {
	const sameList = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
	return a.name === b.name && a.targetStatus === b.targetStatus && a.notes === b.notes && sameList(a.niches, b.niches) && sameList(a.triggers, b.triggers);
}

export const leadKey = (lead: { deviceId: string; phone: string }) => `${lead.deviceId}|${lead.phone}`;
