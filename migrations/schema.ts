import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AiAssignment, AiCampaign, AiCampaignDevice, AiLead } from '../services/ai-campaigns/ai-campaign.entity.ts';
import { Campaign } from '../services/campaigns/campaign.entity.ts';
import { DeviceAuthKey } from '../services/devices/device-auth-key.entity.ts';
import { DeviceLease } from '../services/devices/device-lease.entity.ts';
import { Device } from '../services/devices/device.entity.ts';
import { FleetNode } from '../services/devices/fleet-node.entity.ts';
import { WhatsAppNumber } from '../services/devices/whatsapp-number.entity.ts';
import { Message } from '../services/messages/message.entity.ts';
import { Chat } from '../services/inbox/chat.entity.ts';
import { ChatMessage } from '../services/inbox/chat-message.entity.ts';
import { Sequence, SequenceEnrolment, SequenceStep } from '../services/sequences/sequence.entity.ts';
import { Media } from '../services/media/media.entity.ts';
import { LeadWebhookKey } from '../services/leads/lead-webhook-key.entity.ts';
import { Lead } from '../services/leads/lead.entity.ts';
import { ApiToken } from '../services/users/api-token.entity.ts';
import { Session } from '../services/users/session.entity.ts';
import { User } from '../services/users/user.entity.ts';

import type { DatabaseSchema } from '../mixins/orm/database.ts';
import { migrationsList } from './index.ts';

/**
 * Fleetcast's schema: every entity, listed explicitly so discovery never depends on file globs,
 * and the migrations that build it. The ORM middleware opens the database with it.
 */
export const FLEETCAST_SCHEMA: DatabaseSchema = {
	entities: [User, Session, ApiToken, Device, DeviceLease, DeviceAuthKey, FleetNode, Campaign, Message, Media, Lead, LeadWebhookKey, Chat, ChatMessage, Sequence, SequenceStep, SequenceEnrolment, AiLead, AiCampaign, AiAssignment, AiCampaignDevice, WhatsAppNumber],
	migrations: migrationsList,
	migrationsFolder: path.dirname(fileURLToPath(import.meta.url)),
};
