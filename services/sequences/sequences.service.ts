import { Errors, type Context, type Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { TickerMixin, type TickerMethods } from '../../mixins/ticker.mixin.ts';
import { INBOX_RECEIVED, type InboxReceived } from '../inbox/inbox.events.ts';
import * as ME from '../messages/messages.events.ts';
import { checkTemplate, tenantGreeting } from '../messages/compose.ts';
import type { MessageContent, RetryParams } from '../messages/messages.params.ts';
import type { UserDto } from '../users/users.params.ts';
import { Enrolments } from './enrolments.ts';
import { progressMethods, stepRef, type ProgressMethods, type SequencesLocals } from './sequence-progress.ts';
import { planSteps, saveSteps, toSequenceDto } from './sequence-records.ts';
import { Sequence, SequenceStep } from './sequence.entity.ts';
import * as E from './sequences.events.ts';
import * as P from './sequences.params.ts';

const { MoleculerClientError, ValidationError } = Errors;

interface Methods extends TickerMethods, ProgressMethods {
	save(ctx: Context, sequence: Sequence, fields: Partial<P.SequenceFields>): Promise<P.SequenceDto>;
	dto(ctx: Context, sequence: Sequence): Promise<P.SequenceDto>;
	announce(ctx: Context, dto: P.SequenceDto): P.SequenceDto;
}

interface TickLocals {
	/** Leads and sequences changed before this were looked at already (null: look at everything). */
	watermark: Date | null;
}

interface SequencesSettings {
	/** A step claimed with no message after this long, or a sent step whose outcome was never applied, was left by a node that died. */
	orphanAfterSeconds: number;
}

type This = Service<SequencesSettings> & Methods & SequencesLocals & TickLocals;

const internal = { visibility: 'public', auth: 'public' } as const;

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
const outcomeOf = (status: ME.SettledMessage['status']): 'sent' | 'failed' | 'cancelled' => (status === 'failed' || status === 'cancelled' ? status : 'sent');

/** An enrolment row joined with its lead (`lead_name`, `phone`) as the API shows it. */
function toEnrolmentDto(r: Record<string, unknown>): P.EnrolmentDto {
	return {
		id: r.id as string,
		leadId: r.lead_id as string,
		leadName: (r.lead_name as string) || (r.phone as string),
		phone: r.phone as string,
		deviceId: r.device_id as string,
		step: r.position as number,
		status: r.status as P.EnrolmentStatus,
		trigger: r.trigger as string,
		nextAt: r.status === 'active' ? iso(r.next_at) : null,
		error: (r.error as string | null) ?? null,
		lastSentAt: iso(r.last_sent_at),
		finishedAt: iso(r.finished_at),
		createdAt: iso(r.created_at)!,
	};
}
const own = { entity: Sequence, notFound: 'No such sequence.' } as const;
/** Steps claimed per tick. */
const CLAIM_BATCH = 500;
/** A tick looks again at changes this much older than its last start (a change committed late is not missed). */
const WATERMARK_OVERLAP_MS = 5_000;

const SequencesService: FleetServiceSchema<SequencesSettings, Methods, SequencesLocals & TickLocals> = {
	name: 'sequences',

	mixins: [
		EnvSettingsMixin<SequencesSettings>(env => ({ orphanAfterSeconds: env.orphanAfterSeconds })),
		TickerMixin<This>({
			/** Enrols new leads, lets opted-out ones go, and creates the steps that are due. */
			step: {
				everyMs: () => 1_000,
				async run() {
					// Changes since the last tick (a few seconds of overlap for commits still in flight); the first tick looks at everything.
					const startedAt = await this.enrolments.now();
					await this.enrolments.enrol(this.watermark);
					this.touched(await this.enrolments.leaveOptedOut(this.watermark));
					this.watermark = new Date(startedAt.getTime() - WATERMARK_OVERLAP_MS);
					for (;;) {
						const claimed = await this.enrolments.claimDue(CLAIM_BATCH);
						await this.enqueue(claimed);
						if (claimed.length < CLAIM_BATCH) break;
					}
				},
			},
			/** What a node that died left half done: steps claimed but never queued, outcomes never applied. */
			orphans: {
				everyMs: settings => Math.min(30_000, settings.orphanAfterSeconds * 500),
				async run() {
					const after = this.settings.orphanAfterSeconds;
					await this.enqueue(await this.enrolments.orphaned(after, CLAIM_BATCH));
					const advanced = await this.enrolments.settled(await this.enrolments.unsettled(after, CLAIM_BATCH));
					await this.completed(advanced.filter(a => a.status === 'completed'));
				},
			},
			progress: {
				everyMs: () => 1_000,
				async run() {
					const ids = [...this.dirty];
					this.dirty.clear();
					if (!ids.length) return;
					const sequences = await sqlOf(this.broker).execute<{ id: string; user_id: string }[]>(
						`select id, user_id from sequences where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
						[JSON.stringify(ids)],
					);
					for (const s of sequences) {
						void this.broker.broadcast<E.SequenceProgress>(E.SEQUENCE_PROGRESS, { userId: s.user_id, sequenceId: s.id, report: await this.report(s.id) });
					}
				},
			},
		}),
	],

	actions: {
		list: {
			rest: 'GET /sequences',
			async handler(ctx: Context): Promise<P.SequenceDto[]> {
				const em = emOf(ctx);
				const sequences = await em.find(Sequence, { user: userOf(ctx).id }, { orderBy: { createdAt: 'desc' }, limit: 1000 });
				const steps = await em.find(SequenceStep, { sequence: { $in: sequences.map(s => s.id) } });
				return sequences.map(s => toSequenceDto(s, steps.filter(st => st.sequence.id === s.id)));
			},
		},

		create: {
			rest: 'POST /sequences',
			params: P.createParams,
			async handler(ctx: Context<P.SequenceFields, { $statusCode?: number }>) {
				const sequence = emOf(ctx).create(Sequence, { user: userOf(ctx).id, name: '', trigger: '' } as never) as Sequence;
				const dto = await this.save(ctx, sequence, ctx.params);
				ctx.meta.$statusCode = 201;
				return dto;
			},
		},

		get: {
			rest: 'GET /sequences/:id',
			params: P.idParams,
			record: own,
			handler(ctx: Context<P.IdParams>) {
				return this.dto(ctx, recordOf<Sequence>(ctx));
			},
		},

		/** Edits a sequence; every enrolment not yet past an edited step gets the new text. */
		update: {
			rest: 'PATCH /sequences/:id',
			params: P.updateParams,
			record: own,
			async handler(ctx: Context<P.UpdateParams>) {
				const { id: _id, ...fields } = ctx.params;
				return this.save(ctx, recordOf<Sequence>(ctx), fields);
			},
		},

		/** Deletes it: its messages not sent yet are cancelled and its enrolments end. */
		remove: {
			rest: 'DELETE /sequences/:id',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const sequence = recordOf<Sequence>(ctx);
				const em = emOf(ctx);
				const steps = await em.find(SequenceStep, { sequence: sequence.id });
				await this.stopSteps(steps.map(s => s.id), 'cancelled: the sequence was deleted');
				await em.nativeDelete(Sequence, { id: sequence.id, user: userOf(ctx).id });
				ctx.broadcast<E.SequenceDeleted>(E.SEQUENCE_DELETED, { userId: userOf(ctx).id, sequenceId: sequence.id });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** Holds every enrolment where it stands (a step already queued is taken back). */
		pause: {
			rest: 'POST /sequences/:id/pause',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams>) {
				const sequence = recordOf<Sequence>(ctx);
				sequence.status = 'paused';
				await emOf(ctx).flush();
				const steps = await emOf(ctx).find(SequenceStep, { sequence: sequence.id });
				await this.stopSteps(steps.map(s => s.id), 'cancelled: the sequence was paused');
				this.touched([sequence.id]);
				return this.announce(ctx, toSequenceDto(sequence, steps));
			},
		},

		/** Continues every enrolment from where it stood. */
		resume: {
			rest: 'POST /sequences/:id/resume',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams>) {
				const sequence = recordOf<Sequence>(ctx);
				sequence.status = 'active';
				sequence.updatedAt = new Date();
				await emOf(ctx).flush();
				const steps = await emOf(ctx).find(SequenceStep, { sequence: sequence.id });
				for (const step of steps) ctx.broadcast<ME.MessageContentChanged>(ME.MESSAGE_CONTENT_CHANGED, stepRef(step.id));
				return this.announce(ctx, toSequenceDto(sequence, steps));
			},
		},

		/** Enrolments stopped by a failed step try it again (not those whose number is not on WhatsApp). */
		retry: {
			rest: 'POST /sequences/:id/retry',
			params: P.idParams,
			record: own,
			async handler(ctx: Context<P.IdParams>): Promise<{ retried: number }> {
				const { stepIds, count } = await this.enrolments.retrying(ctx.params.id);
				for (const stepId of stepIds) await ctx.call<unknown, RetryParams>('messages.retryFailed', stepRef(stepId));
				this.touched([ctx.params.id]);
				return { retried: count };
			},
		},

		report: {
			rest: 'GET /sequences/:id/report',
			params: P.idParams,
			record: own,
			handler(ctx: Context<P.IdParams>): Promise<P.SequenceReport> {
				return this.report(ctx.params.id);
			},
		},

		/** A page of the sequence's enrolments, optionally of one status, step or number. */
		enrolments: {
			rest: 'GET /sequences/:id/enrolments',
			params: P.enrolmentsParams,
			record: own,
			async handler(ctx: Context<P.EnrolmentsParams>): Promise<{ items: P.EnrolmentDto[]; total: number; page: number; pageSize: number }> {
				const { id, status, step, device } = ctx.params;
				const page = ctx.params.page ?? 1;
				const pageSize = ctx.params.pageSize ?? 50;
				const where = `e.sequence_id = ? and (?::text is null or e.status = ?::text) and (?::int is null or e.position = ?::int) and (?::uuid is null or e.device_id = ?::uuid)`;
				const args = [id, status ?? null, status ?? null, step ?? null, step ?? null, device ?? null, device ?? null];
				const sql = sqlOf(this.broker);
				const [rows, [count]] = await Promise.all([
					sql.execute<Record<string, unknown>[]>(
						`select e.*, l.name as lead_name, l.phone from sequence_enrolments e join leads l on l.id = e.lead_id where ${where} order by e.created_at, e.id limit ? offset ?`,
						[...args, pageSize, (page - 1) * pageSize],
					),
					sql.execute<{ n: number }[]>(`select count(*)::int as n from sequence_enrolments e where ${where}`, args),
				]);
				const items = rows.map(toEnrolmentDto);
				return { items, total: count?.n ?? 0, page, pageSize };
			},
		},

		/** A lead's enrolments, for its dialog: which sequences, at which step, how they stand. */
		leadEnrolments: {
			rest: 'GET /leads/:id/enrolments',
			params: { $$strict: true, id: { type: 'uuid', messages: { uuid: 'No such lead.' } } },
			async handler(ctx: Context<{ id: string }>): Promise<(P.EnrolmentDto & { sequenceId: string; sequenceName: string })[]> {
				const sql = sqlOf(this.broker);
				const [lead] = await sql.execute<{ id: string }[]>(`select id from leads where id = ? and user_id = ?`, [ctx.params.id, userOf(ctx).id]);
				if (!lead) throw new MoleculerClientError('No such lead.', 404, 'NOT_FOUND');
				const rows = await sql.execute<Record<string, unknown>[]>(
					`select e.*, l.name as lead_name, l.phone, s.name as sequence_name from sequence_enrolments e
					 join leads l on l.id = e.lead_id join sequences s on s.id = e.sequence_id
					 where e.lead_id = ? order by e.created_at`,
					[lead.id],
				);
				return rows.map(r => ({ ...toEnrolmentDto(r), sequenceId: r.sequence_id as string, sequenceName: r.sequence_name as string }));
			},
		},

		/** What a step's messages say, for the node sending them. Internal. */
		messageContent: {
			...internal,
			async handler(ctx: Context<{ ids: string[] }>): Promise<Record<string, MessageContent>> {
				const steps = await emOf(ctx).find(SequenceStep, { id: { $in: ctx.params.ids } }, { populate: ['sequence'] });
				return Object.fromEntries(
					steps.map(step => {
						const s = step.sequence as unknown as Sequence;
						const content: MessageContent = {
							userId: (s.user as unknown as { id: string }).id,
							text: step.text,
							greeting: s.greeting,
							mediaId: step.mediaId ?? null,
							minDelaySeconds: s.minDelaySeconds,
							maxDelaySeconds: s.maxDelaySeconds,
							...(s.status === 'paused' ? { stopped: 'cancelled: the sequence was paused' } : {}),
						};
						return [step.id, content];
					}),
				);
			},
		},
	},

	events: {
		/** Step messages that went out move their enrolments on; failed ones stop them with the reason. */
		[ME.MESSAGES_SETTLED]: {
			async handler(ctx: Context<ME.MessagesSettled>) {
				// Delivered or read says it went out too: a receipt can overtake the send's own outcome (a number changing nodes).
				const outcomes = ctx.params.messages
					.filter(m => m.source === 'sequence' && m.status !== 'pending' && m.status !== 'sending')
					.map(m => ({ enrolmentId: m.key, stepId: m.sourceId, status: outcomeOf(m.status), error: m.error }));
				if (ctx.params.messages.some(m => m.source === 'sequence')) {
					const steps = [...new Set(ctx.params.messages.filter(m => m.source === 'sequence').map(m => m.sourceId))];
					const rows = await sqlOf(this.broker).execute<{ sequence_id: string }[]>(
						`select distinct sequence_id from sequence_steps where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
						[JSON.stringify(steps)],
					);
					this.touched(rows.map(r => r.sequence_id));
				}
				const advanced = await this.enrolments.settled(outcomes);
				await this.completed(advanced.filter(a => a.status === 'completed'));
			},
		},

		/** A lead who writes to its number leaves the sequences that stop on a reply. */
		[INBOX_RECEIVED]: {
			async handler(ctx: Context<InboxReceived>) {
				this.touched(await this.enrolments.stopOnReply(ctx.params.deviceId, ctx.params.from));
			},
		},
	},

	methods: {
		async save(this: This, ctx: Context, sequence: Sequence, fields: Partial<P.SequenceFields>) {
			const em = emOf(ctx);
			const userId = userOf(ctx).id;
			const merged = {
				trigger: fields.trigger ?? sequence.trigger,
				minDelaySeconds: fields.minDelaySeconds ?? sequence.minDelaySeconds,
				maxDelaySeconds: fields.maxDelaySeconds ?? sequence.maxDelaySeconds,
			};
			const current = fields.steps ? undefined : await em.find(SequenceStep, { sequence: sequence.id }, { orderBy: { position: 'asc' } });
			// The sequence's trigger is step 1's: a new trigger re-plans the generated ones.
			const steps = fields.steps ?? current!.map(s => ({ id: s.id, text: s.text, mediaId: s.mediaId, imageUrl: s.imageUrl, delaySeconds: s.delaySeconds, trigger: s.trigger, entry: s.entry }));
			const planned = planSteps({ ...merged, steps });
			if (fields.chainTo) {
				if (fields.chainTo === sequence.id) throw new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field: 'chainTo', message: 'A sequence cannot chain to itself.', type: 'invalid' }]);
				if (!(await em.count(Sequence, { id: fields.chainTo, user: userId }))) throw new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field: 'chainTo', message: 'Chain to one of your sequences.', type: 'invalid' }]);
			}
			// Texts are checked as a campaign's are (the greeting counts towards the length).
			const greeting = fields.greeting ?? sequence.greeting ?? 'none';
			const greetings = greeting === 'none' ? {} : (await ctx.call<UserDto, object>('users.me', {})).greetings;
			for (const step of planned) {
				const problem = checkTemplate(step.text, { greeting: tenantGreeting(greeting, greetings) }).find(p => p.severity === 'error');
				if (problem) throw new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field: `steps[${step.position - 1}].text`, message: `Step ${step.position}: ${problem.message}`, type: 'invalid' }]);
			}
			// An image by address is fetched once and stored, like an upload (a step already holding it keeps it).
			const before = new Map((current ?? (await em.find(SequenceStep, { sequence: sequence.id }))).map(s => [s.id, s]));
			for (const step of planned) {
				if (!step.imageUrl) continue;
				const kept = step.id ? before.get(step.id) : undefined;
				if (kept?.imageUrl === step.imageUrl && kept.mediaId) step.mediaId = kept.mediaId;
				else step.mediaId = (await ctx.call<{ id: string }, { url: string }>('media.fromUrl', { url: step.imageUrl })).id;
			}
			const mediaIds = planned.filter(s => !s.imageUrl).map(s => s.mediaId).filter((id): id is string => Boolean(id));
			if (mediaIds.length) {
				const owned = new Set(await ctx.call<string[], { userId: string; ids: string[] }>('media.owned', { userId, ids: mediaIds }));
				const missing = planned.find(s => s.mediaId && !owned.has(s.mediaId));
				if (missing) throw new ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', [{ field: `steps[${missing.position - 1}].mediaId`, message: `Step ${missing.position}: no such image.`, type: 'invalid' }]);
			}
			const { steps: _steps, ...rest } = fields;
			// Changed now, whatever changed: the next tick looks at this sequence's leads again.
			em.assign(sequence, { ...rest, trigger: merged.trigger, updatedAt: new Date() });
			await em.flush();
			const saved = await saveSteps(em, sequence, planned);
			await this.stopSteps(saved.removed, 'cancelled: the step was removed');
			if (saved.removed.length) await this.completed(await this.enrolments.completePastLast(sequence.id));
			for (const stepId of saved.edited) ctx.broadcast<ME.MessageContentChanged>(ME.MESSAGE_CONTENT_CHANGED, stepRef(stepId));
			return this.announce(ctx, toSequenceDto(sequence, saved.steps));
		},

		/** Tells the owner's tabs, and answers the new record. */
		announce(ctx: Context, dto: P.SequenceDto) {
			ctx.broadcast<E.SequenceUpdated>(E.SEQUENCE_UPDATED, { userId: userOf(ctx).id, sequence: dto });
			return dto;
		},

		async dto(ctx: Context, sequence: Sequence) {
			return toSequenceDto(sequence, await emOf(ctx).find(SequenceStep, { sequence: sequence.id }));
		},

		...progressMethods,
	},

	created() {
		this.dirty = new Set();
		this.watermark = null;
	},

	started() {
		this.enrolments = new Enrolments(sqlOf(this.broker));
	},
};

export default SequencesService;
