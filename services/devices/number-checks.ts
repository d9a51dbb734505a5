import type { SqlConnection } from '../../mixins/orm/database.ts';

/** How long an answer about a number is trusted. */
export const NUMBER_CHECK_TTL_DAYS = 7;

export interface NumberCheck {
	exists: boolean;
	jid: string | null;
}

/** What the driver asks before a send: a number's last answer, and where to keep a new one. */
export interface NumberBook {
	/** The answer of the last NUMBER_CHECK_TTL_DAYS, if any. */
	known(phone: string): Promise<NumberCheck | undefined>;
	remember(phone: string, check: NumberCheck): Promise<void>;
}

/** The answers in PostgreSQL (`whatsapp_numbers`), shared by every number and node. */
export class NumberChecks implements NumberBook {
	constructor(private readonly db: SqlConnection) {}

	async known(phone: string): Promise<NumberCheck | undefined> {
		const [row] = await this.db.execute<{ exists: boolean; jid: string | null }[]>(
			`select on_whatsapp as exists, jid from whatsapp_numbers where phone = ? and checked_at > now() - make_interval(days => ?)`,
			[phone, NUMBER_CHECK_TTL_DAYS],
		);
		return row ? { exists: row.exists, jid: row.jid } : undefined;
	}

	async remember(phone: string, check: NumberCheck): Promise<void> {
		await this.db.execute(
			`insert into whatsapp_numbers (phone, on_whatsapp, jid, checked_at) values (?, ?, ?, now())
			 on conflict (phone) do update set on_whatsapp = excluded.on_whatsapp, jid = excluded.jid, checked_at = excluded.checked_at`,
			[phone, check.exists, check.jid],
		);
	}
}
