import { Migration } from '@mikro-orm/migrations';

export class Migration20261123125636_Outbox extends Migration {

  override name = 'Migration20261123125636_Outbox';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaigns" ("id" uuid not null, "user_id" uuid not null, "title" varchar(200) not null, "scheduled_at" timestamptz not null, "niche" varchar(100) null, "target_status" varchar(16) not null default 'all', "message" text not null, "image_url" varchar(2000) null, "media_id" uuid null, "greeting" varchar(16) not null default 'none', "min_delay_seconds" int not null default 20, "max_delay_seconds" int not null default 60, "status" varchar(32) not null default 'scheduled', "status_reason" varchar(300) null, "should_send" int not null default 0, "skipped_opted_out" int not null default 0, "fired_at" timestamptz null, "firing_node" varchar(128) null, "firing_beat_at" timestamptz null, "firing_done" boolean not null default false, "finished_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "campaigns_user_id_index" on "campaigns" ("user_id");`);
    this.addSql(`create index "campaigns_status_scheduled_at_index" on "campaigns" ("status", "scheduled_at");`);

    this.addSql(`create table "messages" ("id" uuid not null, "user_id" uuid not null, "device_id" uuid not null, "source" varchar(16) not null, "campaign_id" uuid null, "lead_id" uuid null, "recipient" varchar(20) not null, "body" text not null, "vars" jsonb not null, "greeting" varchar(16) not null default 'none', "media_id" uuid null, "image_url" varchar(2000) null, "wa_message_id" varchar(64) not null, "status" varchar(16) not null default 'pending', "error" varchar(500) null, "not_before" timestamptz not null, "expires_at" timestamptz null, "min_delay_seconds" int not null default 0, "max_delay_seconds" int not null default 0, "claimed_node" varchar(128) null, "claimed_epoch" bigint null, "claimed_at" timestamptz null, "sent_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "messages_user_id_index" on "messages" ("user_id");`);
    this.addSql(`alter table "messages" add constraint "messages_wa_message_id_unique" unique ("wa_message_id");`);
    this.addSql(`create index "messages_device_id_status_not_before_index" on "messages" ("device_id", "status", "not_before");`);
    this.addSql(`create index "messages_campaign_id_status_index" on "messages" ("campaign_id", "status");`);
    this.addSql(`create index "messages_device_id_sent_at_index" on "messages" ("device_id", "sent_at");`);
    this.addSql(`alter table "messages" add constraint "messages_campaign_id_recipient_unique" unique ("campaign_id", "recipient");`);

    this.addSql(`alter table "campaigns" add constraint "campaigns_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "messages" add constraint "messages_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "messages" add constraint "messages_device_id_foreign" foreign key ("device_id") references "devices" ("id") on delete cascade;`);
    this.addSql(`alter table "messages" add constraint "messages_campaign_id_foreign" foreign key ("campaign_id") references "campaigns" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_campaign_id_foreign";`);

    this.addSql(`drop table if exists "campaigns" cascade;`);
    this.addSql(`drop table if exists "messages" cascade;`);
  }

}
