import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlOf } from '../../../mixins/orm.middleware.ts';
import { asSchema } from '../../../mixins/service-schema.ts';
import CampaignsService from '../../../services/campaigns/campaigns.service.ts';
import type { ReportDto } from '../../../services/campaigns/campaigns.params.ts';
import type { EnqueueParams } from '../../../services/messages/messages.params.ts';
import MessagesService from '../../../services/messages/messages.service.ts';
import { waMessageIdOf, type ClaimedMessage } from '../../../services/messages/outbox.ts';
import { pgliteDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

interface CampaignRow {
	status: string;
	status_reason: string | null;
	finished_at: Date | null;
}

/**
 * The test plays the device nodes through the outbox actions they call: node-a sends one message
 * and dies with the other in flight; node-b takes the number over and fails it as interrupted.
 */
describe('a campaign that ended with an interrupted send follows the receipt that settles it', () => {
	let db: TestDatabase;
	let node: TestNode;
	const userId = randomUUID();
	const deviceId = randomUUID();
	const campaignId = randomUUID();

	beforeAll(async () => {
		db = pgliteDatabase();
		node = await startNode({
			db,
			services: [asSchema(MessagesService), asSchema(CampaignsService)],
			settings: { messages: { progressIntervalMs: 50 }, campaigns: { tickMs: 60_000 } },
		});
		const sql = sqlOf(node.broker);
		await sql.execute(`insert into users (id, email, name, password_hash, time_zone, created_at, updated_at) values (?, ?, 'Owner', 'x', 'UTC', now(), now())`, [userId, `${userId}@example.com`]);
		await sql.execute(`insert into devices (id, user_id, name, status, created_at, updated_at) values (?, ?, 'Shop', 'online', now(), now())`, [deviceId, userId]);
		await sql.execute(`insert into device_leases (device_id, node_id, epoch, expires_at) values (?, 'node-a', 1, now() + interval '1 minute')`, [deviceId]);
		// Fired already: both messages exist and should-send is frozen.
		await sql.execute(
			`insert into campaigns (id, user_id, title, scheduled_at, message, status, should_send, fired_at, firing_done, created_at, updated_at)
			 values (?, ?, 'Survivors', now(), 'Hello', 'running', 2, now(), true, now(), now())`,
			[campaignId, userId],
		);
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	const campaign = async () => (await sqlOf(node.broker).execute<CampaignRow[]>(`select status, status_reason, finished_at from campaigns where id = ?`, [campaignId]))[0];
	async function waitForCampaign(check: (row: CampaignRow) => boolean): Promise<CampaignRow> {
		const deadline = Date.now() + 10_000;
		let row = await campaign();
		while (!check(row)) {
			if (Date.now() > deadline) throw new Error(`campaign stayed ${JSON.stringify(row)}`);
			await new Promise(resolve => setTimeout(resolve, 50));
			row = await campaign();
		}
		return row;
	}

	it('ends with the failure, then completes when the receipt shows the message did arrive', async () => {
		const batch: EnqueueParams = {
			userId,
			source: 'campaign',
			sourceId: campaignId,
			messages: ['+60123470001', '+60123470002'].map(recipient => ({ key: recipient, deviceId, leadId: null, recipient })),
		};
		await node.broker.call('messages.enqueue', batch);
		const claim = (nodeId: string, epoch: number) => node.broker.call<ClaimedMessage[], object>('messages.claim', { nodeId, devices: [{ deviceId, epoch }] });
		const [first] = await claim('node-a', 1);
		await node.broker.call('messages.record', { nodeId: 'node-a', results: [{ id: first.id, status: 'sent', at: new Date().toISOString() }] });
		const [inFlight] = await claim('node-a', 1);
		expect(inFlight).toBeDefined();

		await sqlOf(node.broker).execute(`update device_leases set node_id = 'node-b', epoch = 2 where device_id = ?`, [deviceId]);
		await node.broker.call('messages.failInterrupted', { nodeId: 'node-b', devices: [{ deviceId, epoch: 2 }] });
		const ended = await waitForCampaign(row => row.status !== 'running');
		expect(ended).toMatchObject({ status: 'completed_with_failures', status_reason: '1 of 2 messages failed.' });

		await node.broker.call('messages.receipts', { receipts: [{ deviceId, waMessageId: waMessageIdOf(inFlight.id), status: 'delivered' }] });
		const settled = await waitForCampaign(row => row.status !== 'completed_with_failures');
		expect(settled).toMatchObject({ status: 'completed', status_reason: null });
		// It ended when its last message did; the late receipt does not move that.
		expect(settled.finished_at).toEqual(ended.finished_at);
		const report = await node.broker.call<ReportDto, object>('campaigns.report', { id: campaignId }, { meta: { user: { id: userId } } });
		expect(report.totals).toMatchObject({ sent: 1, delivered: 1, failed: 0 });
	});

	it('leaves an interrupted message out of retry-failed; resending it is its own choice, made knowing it may arrive twice', async () => {
		const meta = { meta: { user: { id: userId } } };
		const otherId = randomUUID();
		await sqlOf(node.broker).execute(
			`insert into campaigns (id, user_id, title, scheduled_at, message, status, should_send, fired_at, firing_done, created_at, updated_at)
			 values (?, ?, 'Second', now(), 'Hello', 'running', 1, now(), true, now(), now())`,
			[otherId, userId],
		);
		await sqlOf(node.broker).execute(`update device_leases set node_id = 'node-b', epoch = 2 where device_id = ?`, [deviceId]);
		await node.broker.call('messages.enqueue', { userId, source: 'campaign', sourceId: otherId, messages: [{ key: '+60123470009', deviceId, leadId: null, recipient: '+60123470009' }] } satisfies EnqueueParams);
		await node.broker.call<ClaimedMessage[], object>('messages.claim', { nodeId: 'node-b', devices: [{ deviceId, epoch: 2 }] });
		await sqlOf(node.broker).execute(`update device_leases set node_id = 'node-c', epoch = 3 where device_id = ?`, [deviceId]);
		await node.broker.call('messages.failInterrupted', { nodeId: 'node-c', devices: [{ deviceId, epoch: 3 }] });
		const report = await node.broker.call<ReportDto, object>('campaigns.report', { id: otherId }, meta);
		expect(report.totals).toMatchObject({ failed: 1, interrupted: 1 });

		expect(await node.broker.call('campaigns.retryFailed', { id: otherId }, meta)).toEqual({ retried: 0 });
		await expect(node.broker.call('campaigns.resendInterrupted', { id: otherId }, meta)).rejects.toMatchObject({ name: 'ValidationError', data: [expect.objectContaining({ field: 'mayDuplicate', message: expect.stringMatching(/twice/) })] });
		expect(await node.broker.call('campaigns.resendInterrupted', { id: otherId, mayDuplicate: true }, meta)).toEqual({ retried: 1 });
		const after = await node.broker.call<ReportDto, object>('campaigns.report', { id: otherId }, meta);
		expect(after.totals).toMatchObject({ pending: 1, failed: 0, interrupted: 0 });
	});
});
