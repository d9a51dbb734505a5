import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox serves every source: a message names its source record and a key unique within it,
 * and keeps no copy of what is rendered at send time (template, lead fields, image, delays).
 * Its id doubles as the WhatsApp message id; the ids of messages sent before are kept (indexed
 * only where set, so new rows cost nothing) for the receipts still to come for them.
 */
export class Migration20261205120259_SourceAgnosticOutbox extends Migration {

  override name = 'Migration20261205120259_SourceAgnosticOutbox';

  override up(): void | Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_campaign_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_campaign_id_recipient_unique";`);
    this.addSql(`alter table "messages" drop constraint "messages_wa_message_id_unique";`);
    this.addSql(`alter table "messages" add "source_id" uuid null, add "source_key" varchar(64) null;`);
    this.addSql(`alter table "messages" alter column "body" drop not null;`);
    // A campaign's messages render from the campaign from now on; one whose campaign is gone has nothing left to send.
    this.addSql(`update "messages" set "source_id" = "campaign_id", "source_key" = "recipient", "body" = null where "campaign_id" is not null;`);
    this.addSql(`update "messages" set "source_id" = "id", "source_key" = "id"::text where "campaign_id" is null;`);
    this.addSql(`update "messages" set "status" = 'cancelled', "error" = 'cancelled: its campaign was deleted' where "campaign_id" is null and "status" = 'pending';`);
    this.addSql(`alter table "messages" alter column "source_id" set not null, alter column "source_key" set not null;`);
    this.addSql(`alter table "messages" drop column "campaign_id", drop column "greeting", drop column "image_url", drop column "max_delay_seconds", drop column "min_delay_seconds", drop column "vars";`);
    this.addSql(`alter table "messages" rename column "wa_message_id" to "legacy_wa_message_id";`);
    this.addSql(`alter table "messages" alter column "legacy_wa_message_id" drop not null;`);
    this.addSql(`create index "messages_legacy_wa_message_id_index" on "messages" ("legacy_wa_message_id") where legacy_wa_message_id is not null;`);
    this.addSql(`alter table "messages" add constraint "messages_source_key_unique" unique ("source", "source_id", "source_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_source_key_unique";`);
    this.addSql(`drop index "messages_legacy_wa_message_id_index";`);
    this.addSql(`alter table "messages" rename column "legacy_wa_message_id" to "wa_message_id";`);
    this.addSql(`alter table "messages" add "campaign_id" uuid null, add "greeting" varchar(16) not null default 'none', add "image_url" varchar(2000) null, add "max_delay_seconds" int not null default 0, add "min_delay_seconds" int not null default 0, add "vars" jsonb not null default '{}';`);
    this.addSql(`update "messages" m set "campaign_id" = c."id", "body" = c."message", "greeting" = c."greeting", "image_url" = c."image_url", "media_id" = c."media_id", "min_delay_seconds" = c."min_delay_seconds", "max_delay_seconds" = c."max_delay_seconds" from "campaigns" c where m."source" = 'campaign' and c."id" = m."source_id";`);
    this.addSql(`update "messages" set "wa_message_id" = coalesce("wa_message_id", upper(replace("id"::text, '-', ''))), "body" = coalesce("body", '');`);
    this.addSql(`alter table "messages" alter column "vars" drop default, alter column "wa_message_id" set not null, alter column "body" set not null;`);
    this.addSql(`alter table "messages" drop column "source_id", drop column "source_key";`);
    this.addSql(`alter table "messages" add constraint "messages_campaign_id_foreign" foreign key ("campaign_id") references "campaigns" ("id") on delete set null;`);
    this.addSql(`alter table "messages" add constraint "messages_campaign_id_recipient_unique" unique ("campaign_id", "recipient");`);
    this.addSql(`alter table "messages" add constraint "messages_wa_message_id_unique" unique ("wa_message_id");`);
  }

}
