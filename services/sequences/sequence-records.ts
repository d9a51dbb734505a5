/** Sequences and their steps as the API takes and shows them. */
import type { EntityManager } from '@mikro-orm/core';
import { Errors } from 'moleculer';
import { Sequence, SequenceStep } from './sequence.entity.ts';
import { DAY_SECONDS, type SequenceDto, type SequenceFields, type StepDto, type StepInput } from './sequences.params.ts';

const { ValidationError } = Errors;

function invalid(field: string, message: string): Error {
	return new ValidationError(message, 'VALIDATION_ERROR', [{ field, message, type: 'invalid' }]);
}

export function toStepDto(step: SequenceStep): StepDto {
	return {
		id: step.id,
		index: step.position,
		text: step.text,
		mediaId: step.mediaId ?? null,
		imageUrl: step.imageUrl ?? null,
		delaySeconds: step.delaySeconds,
		trigger: step.trigger,
		entry: step.entry,
	};
}

export function toSequenceDto(sequence: Sequence, steps: SequenceStep[]): SequenceDto {
	return {
		id: sequence.id,
		name: sequence.name,
		trigger: sequence.trigger,
		niche: sequence.niche ?? null,
		description: sequence.description ?? null,
		status: sequence.status,
		greeting: sequence.greeting as SequenceDto['greeting'],
		minDelaySeconds: sequence.minDelaySeconds,
		maxDelaySeconds: sequence.maxDelaySeconds,
		stopOnReply: sequence.stopOnReply,
		chainTo: sequence.chainTo ?? null,
		steps: [...steps].sort((a, b) => a.position - b.position).map(toStepDto),
		createdAt: sequence.createdAt.toISOString(),
		updatedAt: sequence.updatedAt.toISOString(),
	};
}

/** A step as it will be stored: its trigger generated (`<trigger>_day<n>`) unless typed, and its delay defaulted. */
export interface PlannedStep extends Required<Omit<StepInput, 'id' | 'mediaId' | 'imageUrl'>> {
	id?: string;
	mediaId: string | null;
	imageUrl: string | null;
	position: number;
}

/** Checks a sequence's fields together and plans its steps; throws a field error a person can act on. */
export function planSteps(fields: Pick<SequenceFields, 'trigger' | 'steps' | 'minDelaySeconds' | 'maxDelaySeconds'>): PlannedStep[] {
	if (fields.minDelaySeconds !== undefined && fields.maxDelaySeconds !== undefined && fields.minDelaySeconds > fields.maxDelaySeconds) {
		throw invalid('maxDelaySeconds', 'The longest delay cannot be shorter than the shortest.');
	}
	const planned = fields.steps.map((step, i): PlannedStep => {
		if (step.mediaId && step.imageUrl) throw invalid(`steps[${i}].imageUrl`, `Step ${i + 1}: choose an uploaded image or an address, not both.`);
		return {
			...(step.id ? { id: step.id } : {}),
			position: i + 1,
			text: step.text,
			mediaId: step.mediaId ?? null,
			imageUrl: step.imageUrl ?? null,
			delaySeconds: step.delaySeconds ?? (i === 0 ? 0 : DAY_SECONDS),
			// Step 1 is entered by the sequence's own trigger.
			trigger: i === 0 ? fields.trigger : step.trigger || `${fields.trigger}_day${i + 1}`,
			entry: i === 0 ? true : (step.entry ?? false),
		};
	});
	const seen = new Map<string, number>();
	for (const step of planned) {
		const earlier = seen.get(step.trigger);
		if (earlier) throw invalid(`steps[${step.position - 1}].trigger`, `Steps ${earlier} and ${step.position} have the same trigger "${step.trigger}".`);
		seen.set(step.trigger, step.position);
	}
	return planned;
}

/**
 * Writes a sequence's steps as planned: a step that keeps its id is edited in place, a new one is
 * added, and the ones left out are removed. Answers the ids of the removed steps.
 */
export async function saveSteps(em: EntityManager, sequence: Sequence, planned: PlannedStep[]): Promise<{ steps: SequenceStep[]; removed: string[]; edited: string[] }> {
	const existing = await em.find(SequenceStep, { sequence: sequence.id });
	const byId = new Map(existing.map(s => [s.id, s]));
	const kept = new Set<string>();
	const edited: string[] = [];
	const steps: SequenceStep[] = [];
	for (const plan of planned) {
		const step = plan.id ? byId.get(plan.id) : undefined;
		if (plan.id && !step) throw invalid(`steps[${plan.position - 1}].id`, `Step ${plan.position} is not a step of this sequence.`);
		const values = { position: plan.position, text: plan.text, mediaId: plan.mediaId, imageUrl: plan.imageUrl, delaySeconds: plan.delaySeconds, trigger: plan.trigger, entry: plan.entry };
		if (step) {
			kept.add(step.id);
			edited.push(step.id);
			em.assign(step, values);
			steps.push(step);
		} else steps.push(em.create(SequenceStep, { sequence, ...values }));
	}
	const removed = existing.filter(s => !kept.has(s.id));
	for (const step of removed) em.remove(step);
	await em.flush();
	return { steps, removed: removed.map(s => s.id), edited };
}
