/** How a sequence moves: its steps queued in the outbox, its enrolments completed, its report. */
import type { Service } from 'moleculer';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import type { CancelParams, Counters, EnqueueParams, EnqueueResult, SourceRef } from '../messages/messages.params.ts';
import type { Advanced, ClaimedStep, Enrolments } from './enrolments.ts';
import type * as P from './sequences.params.ts';

export interface ProgressMethods {
	report(sequenceId: string): Promise<P.SequenceReport>;
	enqueue(claimed: ClaimedStep[]): Promise<void>;
	completed(done: Advanced[]): Promise<void>;
	stopSteps(stepIds: string[], reason: string): Promise<void>;
	touched(sequenceIds: Iterable<string>): void;
}

export interface SequencesLocals {
	enrolments: Enrolments;
	/** Sequences whose report changed since the last progress event. */
	dirty: Set<string>;
}

type This = Service & ProgressMethods & SequencesLocals;

/** The outbox's name for a step's messages (keyed by enrolment). */
export const stepRef = (stepId: string): SourceRef => ({ source: 'sequence', sourceId: stepId });

export const progressMethods: FleetServiceSchema<Record<string, never>, ProgressMethods, SequencesLocals>['methods'] = {
	async report(this: This, sequenceId: string) {
		const sql = sqlOf(this.broker);
		const steps = await sql.execute<{ id: string; position: number; trigger: string }[]>(`select id, position, trigger from sequence_steps where sequence_id = ? order by position`, [sequenceId]);
		const { byStatus, progress } = await this.enrolments.counts(sequenceId, steps.length);
		const zero = (): P.StepCounters => ({ sent: 0, delivered: 0, read: 0, failed: 0, pending: 0 });
		const add = (into: P.StepCounters, c: Counters) => {
			into.sent += c.sent;
			into.delivered += c.delivered;
			into.read += c.read;
			into.failed += c.failed;
			into.pending += c.pending + c.sending;
		};
		const devices = new Map<string, P.StepCounters>();
		const stepRows = [];
		for (const step of steps) {
			const counts = await this.broker.call<Record<string, Counters>, SourceRef>('messages.counts', stepRef(step.id));
			const total = zero();
			for (const [deviceId, c] of Object.entries(counts)) {
				add(total, c);
				const device = devices.get(deviceId) ?? zero();
				add(device, c);
				devices.set(deviceId, device);
			}
			stepRows.push({ index: step.position, trigger: step.trigger, ...total });
		}
		const n = (s: string) => byStatus[s] ?? 0;
		return {
			enrolled: Object.values(byStatus).reduce((a, b) => a + b, 0),
			active: n('active') + n('waiting'),
			completed: n('completed'),
			failed: n('failed'),
			stopped: n('stopped'),
			progress,
			steps: stepRows,
			devices: [...devices].map(([deviceId, c]) => ({ deviceId, ...c })),
		};
	},

	/** Queues claimed steps (one call per step and tenant); what cannot be queued now is claimed again next tick. */
	async enqueue(this: This, claimed: ClaimedStep[]) {
		const groups = new Map<string, ClaimedStep[]>();
		for (const c of claimed) {
			const key = `${c.userId} ${c.stepId}`;
			const group = groups.get(key);
			if (group) group.push(c);
			else groups.set(key, [c]);
		}
		for (const group of groups.values()) {
			const [first] = group;
			try {
				await this.broker.call<EnqueueResult, EnqueueParams>('messages.enqueue', {
					userId: first!.userId,
					...stepRef(first!.stepId),
					messages: group.map(c => ({ key: c.enrolmentId, deviceId: c.deviceId, leadId: c.leadId, recipient: c.phone })),
				});
				this.touched(group.map(c => c.sequenceId));
			} catch (err) {
				this.logger.warn(`Queuing ${group.length} sequence steps failed (tried again next tick): ${(err as Error).message}`);
				await this.enrolments.unclaim(group.map(c => c.enrolmentId));
			}
		}
	},

	/** Completed enrolments: the lead's entry trigger goes, and a chained sequence's entry trigger goes on. */
	async completed(this: This, done: Advanced[]) {
		if (!done.length) return;
		const sql = sqlOf(this.broker);
		const rows = await sql.execute<{ id: string; trigger: string; chain_trigger: string | null; sequence_id: string }[]>(
			`select e.id, e.trigger, c.trigger as chain_trigger, e.sequence_id from sequence_enrolments e
			 join sequences s on s.id = e.sequence_id left join sequences c on c.id = s.chain_to and c.user_id = s.user_id
			 where e.id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
			[JSON.stringify(done.map(d => d.enrolmentId))],
		);
		const byId = new Map(rows.map(r => [r.id, r]));
		for (const d of done) {
			const row = byId.get(d.enrolmentId);
			if (!row) continue;
			await this.broker.call('leads.retrigger', { userId: d.userId, leadId: d.leadId, remove: row.trigger, add: row.chain_trigger });
		}
		this.touched(done.map(d => d.sequenceId));
	},

	/** Cancels the steps' messages not sent yet; the outbox's `cancelled` outcome puts their enrolments back to wait. */
	async stopSteps(this: This, stepIds: string[], reason: string) {
		for (const stepId of stepIds) await this.broker.call<unknown, CancelParams>('messages.cancel', { ...stepRef(stepId), reason });
	},

	touched(this: This, sequenceIds: Iterable<string>) {
		for (const id of sequenceIds) this.dirty.add(id);
	},
};
