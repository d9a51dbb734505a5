import { randomUUID } from 'node:crypto';
import { Errors, type Context } from 'moleculer';
import type { DownloadMeta, FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import { csvFile } from '../leads/lead-csv-format.ts';
import { LeadCsvError, type CsvShape } from '../leads/lead-csv.ts';
import { fieldErrors } from '../leads/lead-errors.ts';
import { importLeads } from '../leads/lead-import.ts';
import { checkLead, type LeadInput } from '../leads/lead-input.ts';
import type { ImportReport } from '../leads/leads.params.ts';
import type { UserDto } from '../users/users.params.ts';
import { AiLeadStore, toAiLeadDto, type AiLeadRow } from './ai-lead-store.ts';
import * as E from '../ai-campaigns/ai-campaigns.events.ts';
import * as P from './ai-leads.params.ts';

const { MoleculerClientError, ValidationError } = Errors;

/** The pool's file: the lead file's columns but a device (and triggers, which only numbers' leads have). */
const AI_LEAD_CSV: CsvShape = { columns: ['name', 'phone', 'niche', 'target_status', 'notes'], required: ['phone'] };
const duplicate = () => new MoleculerClientError('The pool has a lead with this phone number already.', 409, 'AI_LEAD_EXISTS');
const notFound = () => new MoleculerClientError('No such AI lead.', 404, 'NOT_FOUND');

interface Methods {
	country(ctx: Context): Promise<string | null>;
	changed(ctx: Context): void;
}
interface Locals {
	pool: AiLeadStore;
}

/** The AI lead pool: leads on no number yet, which AI campaigns spread over the user's numbers. */
const AiLeadsService: FleetServiceSchema<Record<string, never>, Methods, Locals> = {
	name: 'ai-leads',

	actions: {
		list: {
			rest: 'GET /ai-leads',
			params: P.listParams,
			async handler(ctx: Context<P.ListParams>): Promise<P.AiLeadPage> {
				const { page, pageSize, ...filters } = ctx.params;
				const size = pageSize ?? 50;
				const { rows, total } = await this.pool.page(userOf(ctx).id, filters, size, ((page ?? 1) - 1) * size);
				return { items: rows.map(toAiLeadDto), total };
			},
		},

		create: {
			rest: 'POST /ai-leads',
			params: P.createParams,
			async handler(ctx: Context<P.AiLeadFields, { $statusCode?: number }>) {
				const checked = checkLead(ctx.params, null, await this.country(ctx));
				if ('problems' in checked) throw fieldErrors(checked.problems);
				const row = await this.pool.save(userOf(ctx).id, null, checked.values);
				if (!row) throw duplicate();
				this.changed(ctx);
				ctx.meta.$statusCode = 201;
				return toAiLeadDto(row);
			},
		},

		get: {
			rest: 'GET /ai-leads/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>) {
				const row = await this.pool.one(userOf(ctx).id, ctx.params.id);
				if (!row) throw notFound();
				return toAiLeadDto(row);
			},
		},

		/** Changes the fields given; `status: pending` puts a sent or failed lead back in the pool. */
		update: {
			rest: 'PATCH /ai-leads/:id',
			params: P.updateParams,
			async handler(ctx: Context<P.UpdateParams>) {
				const userId = userOf(ctx).id;
				const lead: AiLeadRow | undefined = await this.pool.one(userId, ctx.params.id);
				if (!lead) throw notFound();
				const { id, optedOut, status, ...fields } = ctx.params;
				if (status && lead.status === 'assigned') throw new MoleculerClientError('This lead is in a number’s queue now: wait until it is sent or failed.', 409, 'AI_LEAD_ASSIGNED');
				const input: LeadInput = {
					phone: fields.phone ?? lead.phone,
					name: fields.name ?? lead.name,
					niches: fields.niches ?? lead.niches,
					targetStatus: fields.targetStatus ?? lead.target_status,
					notes: fields.notes === undefined ? lead.notes : fields.notes,
				};
				const checked = checkLead(input, null, await this.country(ctx));
				if ('problems' in checked) throw fieldErrors(checked.problems);
				const row = await this.pool.save(userId, id, checked.values, { optedOut, backToPool: status === 'pending' });
				if (!row) throw duplicate();
				this.changed(ctx);
				return toAiLeadDto(row);
			},
		},

		remove: {
			rest: 'DELETE /ai-leads/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				if (!(await this.pool.remove(userOf(ctx).id, ctx.params.id))) throw notFound();
				this.changed(ctx);
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** A CSV of pool leads (name, phone, niche, target_status, notes); answers a report row by row, as the lead import does. */
		import: {
			rest: 'POST /ai-leads/import',
			body: 'csv',
			params: P.importParams,
			timeout: 300_000,
			async handler(ctx: Context<P.ImportParams>): Promise<ImportReport> {
				const userId = userOf(ctx).id;
				const importId = ctx.params.importId ?? randomUUID();
				try {
					const report = await importLeads(ctx.params.csv, {
						store: this.pool,
						userId,
						devices: null,
						shape: AI_LEAD_CSV,
						country: await this.country(ctx),
						batchSize: 1_000,
						onProgress: () => undefined,
					});
					this.changed(ctx);
					return { importId, ...report };
				} catch (err) {
					if (err instanceof LeadCsvError) throw new ValidationError(err.message, 'VALIDATION_ERROR', [{ field: 'csv', message: err.message, type: 'csv' }]);
					throw err;
				}
			},
		},

		/** The pool (with the list's filters) as a CSV the import reads back, plus each lead's status and error. */
		export: {
			rest: 'GET /ai-leads/export',
			params: P.exportParams,
			async handler(ctx: Context<P.AiLeadFilters, DownloadMeta>): Promise<string> {
				const rows = await this.pool.all(userOf(ctx).id, ctx.params);
				ctx.meta.$responseType = 'text/csv; charset=utf-8';
				ctx.meta.$responseHeaders = { 'Content-Disposition': `attachment; filename="ai-leads-${new Date().toISOString().slice(0, 10)}.csv"` };
				return csvFile(
					[...AI_LEAD_CSV.columns, 'status', 'error'],
					rows.map(r => [r.name, r.phone, r.niches.join(';'), r.target_status, r.notes ?? '', r.status, r.error ?? '']),
				);
			},
		},
	},

	methods: {
		async country(ctx: Context) {
			return (await ctx.call<UserDto>('users.me')).country;
		},
		changed(ctx: Context) {
			ctx.broadcast<E.AiLeadsChanged>(E.AI_LEADS_CHANGED, { userId: userOf(ctx).id });
		},
	},

	started() {
		this.pool = new AiLeadStore(sqlOf(this.broker));
	},
};

export default AiLeadsService;
