import type { DriverHandlers, OutgoingMessage, WhatsAppDriver } from '../services/devices/whatsapp-driver.ts';

/** How many messages every `AcceptingDriver` of this process took. */
export const acceptedSends = { count: 0 };

/** A number that is always online and takes every message the moment it is sent. */
export class AcceptingDriver implements WhatsAppDriver {
	private handlers?: DriverHandlers;
	constructor(private readonly phone: string) {}
	async connect(handlers: DriverHandlers): Promise<void> {
		this.handlers = handlers;
		setImmediate(() => handlers.open({ phone: this.phone, jid: `${this.phone}@s.whatsapp.net`, lid: null }));
	}
	async requestPairingCode(): Promise<string> {
		throw new Error('not pairing');
	}
	async logout(): Promise<void> {
		this.handlers?.close({ kind: 'logged_out', message: 'logged out' });
	}
	async send(_message: OutgoingMessage): Promise<void> {
		acceptedSends.count++;
	}
	async markRead(): Promise<void> {}
	async typing(): Promise<void> {}
	async end(): Promise<void> {
		this.handlers?.close({ kind: 'ended', message: 'ended' });
	}
}

interface Sql {
	query<R extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Writes `count` devices of `userId` straight into the table (setting up is not measured), pacing
 * off and caps out of reach; answers each device's phone by id, for its AcceptingDriver.
 */
export async function insertDevices(sql: Sql, userId: string, count: number): Promise<Map<string, string>> {
	const { rows } = await sql.query<{ id: string; phone: string }>(
		`insert into devices (id, user_id, name, phone, jid, status, min_delay_seconds, max_delay_seconds, hourly_cap, daily_cap, warm_up, created_at, updated_at)
		 select gen_random_uuid(), $1, 'Bench ' || i, p, p || '@s.whatsapp.net', 'connecting', 0, 0, 1000000, 1000000, false, now(), now()
		 from generate_series(0, $2 - 1) i, lateral (select '6011' || lpad((10000000 + i)::text, 8, '0') as p) phone
		 returning id, phone`,
		[userId, count],
	);
	return new Map(rows.map(row => [row.id, row.phone]));
}

/** Writes `count` leads of niche `bench` (with these triggers), lead i on the i-th device mod their number, ordered by id. */
export async function insertLeads(sql: Sql, userId: string, count: number, triggers: string[] = []): Promise<void> {
	await sql.query(
		`insert into leads (id, user_id, device_id, name, phone, niches, target_status, triggers, created_at, updated_at)
		 select gen_random_uuid(), $1, d.ids[1 + i % array_length(d.ids, 1)], 'Lead ' || i, '+6012' || lpad(i::text, 8, '0'), array['bench'], 'prospect', $3::text[], now(), now()
		 from generate_series(0, $2 - 1) i, (select array_agg(id order by id) as ids from devices where user_id = $1) d`,
		[userId, count, triggers],
	);
}

/** Waits until `count` devices are online (placement picks them up at its next tick). */
export async function untilOnline(sql: Sql, count: number, timeoutMs = 600_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const { rows } = await sql.query<{ n: number }>(`select count(*)::int as n from devices where status = 'online'`);
		if (rows[0]!.n === count) return;
		if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${count} devices came online`);
		await new Promise(resolve => setTimeout(resolve, 250));
	}
}
