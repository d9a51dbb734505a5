import { randomBytes, randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Errors, type Context } from 'moleculer';
import type { DownloadMeta, FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf, type CallerMeta } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { createRateLimiter, type RateLimiter } from '../shared/rate-limit.ts';
import { RedisMixin, type RedisLocals } from '../../mixins/redis.mixin.ts';
import type { DeviceDto } from '../devices/devices.params.ts';
import { sha256 } from '../users/secrets.ts';
import type { UserDto } from '../users/users.params.ts';
import { LeadCsvError, SPREAD_LEAD_CSV, writeLeadCsv } from './lead-csv.ts';
import { rowToLeadDto, toLeadDto } from './lead-dto.ts';
import { importLeads, writeLeads } from './lead-import.ts';
import { checkLead, DeviceDirectory, leadKey, storedFields, type FieldProblem, type LeadInput, type LeadValues } from './lead-input.ts';
import { LeadStore } from './lead-store.ts';
import { StopWords } from './stop-words.ts';
import { fieldErrors } from './lead-errors.ts';
import { LeadWebhookKey } from './lead-webhook-key.entity.ts';
import { Lead } from './lead.entity.ts';
import * as E from './leads.events.ts';
import { INBOX_RECEIVED, type InboxReceived } from '../inbox/inbox.events.ts';
import * as P from './leads.params.ts';

const { MoleculerClientError, ValidationError } = Errors;

interface Settings {
	stopWords: string[];
	webhookMaxPerMinute: number;
	/** Leads per upsert statement during an import. */
	importBatchSize: number;
}

interface Methods {
	tenantOf(ctx: Context, userId: string): Promise<{ devices: DeviceDirectory; country: string | null }>;
	checkOrThrow(input: LeadInput, tenant: { devices: DeviceDirectory; country: string | null }, rename?: Record<string, string>): LeadValues;
	saveLead(ctx: Context, lead: Lead, created: boolean): Promise<P.LeadDto>;
	checkWebhookRate(key: string, ip: string | undefined): Promise<void>;
	isStopWord(text: string): boolean;
}

interface Locals extends RedisLocals {
	store: LeadStore;
	webhookPerKey: RateLimiter;
	webhookPerAddress: RateLimiter;
	stopWords: StopWords;
}

const WEBHOOK_KEY_PREFIX = 'fcl_';
/** The caller's lead named by `:id`, loaded before the handler (404 otherwise). */
const ownLead = { entity: Lead, notFound: 'No such lead.' };
const duplicate = () => new MoleculerClientError('This device already has a lead with this phone number.', 409, 'LEAD_EXISTS');


const LeadsService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'leads',

	mixins: [
		RedisMixin(),
		EnvSettingsMixin<Settings>(env => ({ stopWords: env.leadStopWords, webhookMaxPerMinute: env.leadWebhookMaxPerMinute, importBatchSize: 1_000 })),
	],

	settings: {} as Settings,

	actions: {
		/** One page of the caller's leads, newest first, with the total that match the filters. */
		list: {
			rest: 'GET /leads',
			params: P.listParams,
			async handler(ctx: Context<P.ListParams>): Promise<P.LeadPage> {
				const { page, pageSize, limit, offset, ...filters } = ctx.params;
				const size = pageSize ?? limit ?? 50;
				const skip = offset ?? ((page ?? 1) - 1) * size;
				const { rows, total } = await this.store.page(userOf(ctx).id, filters, size, skip);
				return { items: rows.map(row => rowToLeadDto(emOf(ctx), row)), total };
			},
		},

		create: {
			rest: 'POST /leads',
			params: P.createParams,
			async handler(ctx: Context<P.CreateParams, { $statusCode?: number }>) {
				const userId = userOf(ctx).id;
				const { deviceId, ...fields } = ctx.params;
				const values = this.checkOrThrow({ ...fields, device: deviceId }, await this.tenantOf(ctx, userId), { device: 'deviceId' });
				const lead = emOf(ctx).create(Lead, { user: userId, ...storedFields(values) } as never) as Lead;
				const dto = await this.saveLead(ctx, lead, true);
				ctx.meta.$statusCode = 201;
				return dto;
			},
		},

		get: {
			rest: 'GET /leads/:id',
			params: P.idParams,
			record: ownLead,
			handler(ctx: Context<P.IdParams>) {
				return toLeadDto(recordOf<Lead>(ctx));
			},
		},

		/** Changes the fields given; tag lists are replaced, notes: null clears them. */
		update: {
			rest: 'PATCH /leads/:id',
			params: P.updateParams,
			record: ownLead,
			async handler(ctx: Context<P.UpdateParams>) {
				const lead = recordOf<Lead>(ctx);
				const { id: _id, deviceId, optedOut, ...fields } = ctx.params;
				const input: LeadInput = {
					device: deviceId ?? lead.device.id,
					phone: fields.phone ?? lead.phone,
					name: fields.name ?? lead.name,
					niches: fields.niches ?? lead.niches,
					targetStatus: fields.targetStatus ?? lead.targetStatus,
					triggers: fields.triggers ?? lead.triggers,
					notes: fields.notes === undefined ? lead.notes : fields.notes,
				};
				const values = this.checkOrThrow(input, await this.tenantOf(ctx, userOf(ctx).id), { device: 'deviceId' });
				emOf(ctx).assign(lead, storedFields(values) as never);
				if (optedOut !== undefined && optedOut !== lead.optedOut) {
					lead.optedOut = optedOut;
					lead.optedOutAt = optedOut ? new Date() : null;
				}
				return this.saveLead(ctx, lead, false);
			},
		},

		remove: {
			rest: 'DELETE /leads/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const userId = userOf(ctx).id;
				const removed = await emOf(ctx).nativeDelete(Lead, { id: ctx.params.id, user: userId });
				if (!removed) throw new MoleculerClientError(ownLead.notFound, 404, 'NOT_FOUND');
				ctx.broadcast<E.LeadDeleted>(E.LEAD_DELETED, { userId, leadId: ctx.params.id });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** A CSV of leads (see lead-csv.ts for the columns); answers a report row by row. */
		import: {
			rest: 'POST /leads/import',
			body: 'csv',
			params: P.importParams,
			timeout: 300_000,
			async handler(ctx: Context<P.ImportParams>): Promise<P.ImportReport> {
				const userId = userOf(ctx).id;
				const importId = ctx.params.importId ?? randomUUID();
				const tenant = await this.tenantOf(ctx, userId);
				const spreadOver = ctx.params.spread ? tenant.devices.ids() : [];
				if (ctx.params.spread && !spreadOver.length) {
					throw new ValidationError('Add a number first: the rows are spread over your numbers.', 'VALIDATION_ERROR', [{ field: 'spread', message: 'Add a number first: the rows are spread over your numbers.', type: 'spread' }]);
				}
				let report;
				try {
					report = await importLeads(ctx.params.csv, {
						store: this.store,
						userId,
						...tenant,
						...(ctx.params.spread ? { shape: SPREAD_LEAD_CSV, spreadOver } : {}),
						batchSize: this.settings.importBatchSize,
						onProgress: (processed, total) => ctx.broadcast<E.LeadImportProgress>(E.LEAD_IMPORT_PROGRESS, { userId, importId, processed, total }),
					});
				} catch (err) {
					if (err instanceof LeadCsvError) throw new ValidationError(err.message, 'VALIDATION_ERROR', [{ field: 'csv', message: err.message, type: 'csv' }]);
					throw err;
				}
				const { rows: _rows, ...counts } = report;
				ctx.broadcast<E.LeadImported>(E.LEAD_IMPORTED, { userId, importId, ...counts });
				return { importId, ...report };
			},
		},

		/** The caller's leads (with the list's filters) as a CSV file an import reads back. */
		export: {
			rest: 'GET /leads/export',
			params: P.exportParams,
			async handler(ctx: Context<P.ExportParams, DownloadMeta>): Promise<string> {
				const userId = userOf(ctx).id;
				const [{ devices }, rows] = await Promise.all([this.tenantOf(ctx, userId), this.store.all(userId, ctx.params)]);
				ctx.meta.$responseType = 'text/csv; charset=utf-8';
				ctx.meta.$responseHeaders = { 'Content-Disposition': `attachment; filename="leads-${new Date().toISOString().slice(0, 10)}.csv"` };
				return writeLeadCsv(
					rows.map(row => ({
						name: row.name,
						phone: row.phone,
						niches: row.niches,
						targetStatus: row.target_status,
						triggers: row.triggers,
						deviceLabel: devices.label(row.device_id),
						notes: row.notes,
					})),
				);
			},
		},

		/** Whether the caller has a webhook key, and since when (the key itself is never shown again). */
		webhookKey: {
			rest: 'GET /leads/webhook-key',
			async handler(ctx: Context): Promise<P.WebhookKeyStatus> {
				const key = await emOf(ctx).findOne(LeadWebhookKey, { user: userOf(ctx).id });
				return { exists: Boolean(key), createdAt: key?.createdAt.toISOString() ?? null };
			},
		},

		/** Makes a new webhook key, replacing any older one at once; the answer is its only copy. */
		rotateWebhookKey: {
			rest: 'POST /leads/webhook-key',
			async handler(ctx: Context<unknown, { $statusCode?: number }>): Promise<P.CreatedWebhookKey> {
				const userId = userOf(ctx).id;
				const key = WEBHOOK_KEY_PREFIX + randomBytes(32).toString('base64url');
				const em = emOf(ctx);
				const createdAt = new Date();
				await em.upsert(LeadWebhookKey, { user: userId, keyHash: sha256(key), createdAt } as never);
				ctx.meta.$statusCode = 201;
				return { key, path: `/api/webhooks/leads/${key}`, createdAt: createdAt.toISOString() };
			},
		},

		deleteWebhookKey: {
			rest: 'DELETE /leads/webhook-key',
			async handler(ctx: Context<unknown, { $statusCode?: number }>) {
				await emOf(ctx).nativeDelete(LeadWebhookKey, { user: userOf(ctx).id });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** Inbound lead from another system: creates or updates by (device, phone); the same body twice changes nothing. */
		webhook: {
			rest: 'POST /webhooks/leads/:userKey',
			auth: 'public',
			params: P.webhookParams,
			async handler(ctx: Context<P.WebhookParams, CallerMeta>): Promise<P.LeadDto> {
				const { userKey, niche, niches, ...fields } = ctx.params;
				const keyHash = sha256(userKey);
				await this.checkWebhookRate(keyHash, ctx.meta.ip);
				const em = emOf(ctx);
				const key = await em.findOne(LeadWebhookKey, { keyHash });
				if (!key) throw new MoleculerClientError('No such webhook.', 404, 'NOT_FOUND');
				const userId = key.user.id;
				const values = this.checkOrThrow({ ...fields, niches: niches ?? niche }, await this.tenantOf(ctx, userId));
				const outcome = (await writeLeads(this.store, userId, [values])).get(leadKey(values))!;
				const lead = toLeadDto(await em.findOneOrFail(Lead, { id: outcome.id, user: userId }));
				if (outcome.status === 'created') ctx.broadcast<E.LeadCreated>(E.LEAD_CREATED, { userId, lead });
				if (outcome.status === 'updated') ctx.broadcast<E.LeadUpdated>(E.LEAD_UPDATED, { userId, lead });
				return lead;
			},
		},

		/** A sequence is done with a lead: its trigger goes, and a chained sequence's goes on. Internal. */
		retrigger: {
			visibility: 'public',
			auth: 'public',
			async handler(ctx: Context<{ userId: string; leadId: string; remove: string; add: string | null }>): Promise<void> {
				const { userId, leadId, remove, add } = ctx.params;
				const row = await this.store.retrigger(userId, leadId, remove, add);
				if (row) ctx.broadcast<E.LeadUpdated>(E.LEAD_UPDATED, { userId, lead: rowToLeadDto(emOf(ctx), row) });
			},
		},

		/** A batch of leads' fields as a message template sees them at send time (the sending node asks). Internal. */
		messageFields: {
			visibility: 'public',
			auth: 'public',
			params: P.messageFieldsParams,
			async handler(ctx: Context<P.MessageFieldsParams>): Promise<Record<string, P.LeadMessageFields>> {
				const byId: Record<string, P.LeadMessageFields> = {};
				for (const row of await this.store.messageFields(ctx.params.ids)) byId[row.id] = row;
				return byId;
			},
		},
	},

	events: {
		/** A reply that is exactly a stop word opts that lead out of everything. */
		[INBOX_RECEIVED]: {
			async handler(ctx: Context<InboxReceived>) {
				const { userId, deviceId, from, text } = ctx.params;
				if (typeof text !== 'string' || !this.isStopWord(text)) return;
				const phone = from.startsWith('+') ? from : `+${from}`;
				// A repeat (the same message handed over twice) finds the lead already out and announces nothing.
				const row = await this.store.optOut(userId, deviceId, phone);
				if (row) ctx.broadcast<E.LeadUpdated>(E.LEAD_UPDATED, { userId, lead: rowToLeadDto(emOf(ctx), row) });
			},
		},
	},

	methods: {
		/** The user's devices and default country, through the services that own them. */
		async tenantOf(ctx: Context, userId: string) {
			const meta = { user: { id: userId } };
			const [devices, user] = await Promise.all([ctx.call<DeviceDto[], object>('devices.list', {}, { meta }), ctx.call<UserDto, object>('users.me', {}, { meta })]);
			return { devices: new DeviceDirectory(devices), country: user.country };
		},

		checkOrThrow(input, tenant, rename) {
			const checked = checkLead(input, tenant.devices, tenant.country);
			if ('problems' in checked) throw fieldErrors(checked.problems, rename);
			return checked.values;
		},

		async saveLead(ctx: Context, lead: Lead, created: boolean) {
			try {
				await emOf(ctx).flush();
			} catch (err) {
				if (err instanceof UniqueConstraintViolationException) throw duplicate();
				throw err;
			}
			const userId = userOf(ctx).id;
			const dto = toLeadDto(lead);
			if (created) ctx.broadcast<E.LeadCreated>(E.LEAD_CREATED, { userId, lead: dto });
			else ctx.broadcast<E.LeadUpdated>(E.LEAD_UPDATED, { userId, lead: dto });
			return dto;
		},

		async checkWebhookRate(keyHash, ip) {
			const checks = [this.webhookPerKey.hit(keyHash)];
			if (ip) checks.push(this.webhookPerAddress.hit(ip));
			const refused = (await Promise.all(checks)).find(r => !r.allowed);
			if (refused) {
				throw new MoleculerClientError('Too many webhook calls. Try again shortly.', 429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: refused.retryAfterSeconds });
			}
		},

		isStopWord(text) {
			return this.stopWords.matches(text);
		},
	},

	created() {
		this.stopWords = new StopWords(this.settings.stopWords);
		const max = this.settings.webhookMaxPerMinute;
		this.webhookPerKey = createRateLimiter({ name: 'lead-webhook-key', max, windowMs: 60_000, redis: this.redis });
		// One address may serve several users' forms; it is limited too, so keys are not guessed from it.
		this.webhookPerAddress = createRateLimiter({ name: 'lead-webhook-ip', max: max * 10, windowMs: 60_000, redis: this.redis });
	},

	started() {
		this.store = new LeadStore(sqlOf(this.broker));
	},
};

export default LeadsService;
