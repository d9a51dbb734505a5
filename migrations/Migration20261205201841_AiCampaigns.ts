import { Migration } from '@mikro-orm/migrations';

/** The AI lead pool, AI campaigns, the leads each gave to a number, and each number's run of failures in a campaign. */
export class Migration20261205201841_AiCampaigns extends Migration {

  override name = 'Migration20261205201841_AiCampaigns';

  override up(): void | Promise<void> {
    this.addSql(`create table "ai_leads" ("id" uuid not null, "user_id" uuid not null, "name" varchar(200) not null default '', "phone" varchar(20) not null, "niches" text[] not null default '{}', "target_status" varchar(16) not null default 'prospect', "notes" text null, "opted_out" boolean not null default false, "status" varchar(16) not null default 'pending', "device_id" uuid null, "campaign_id" uuid null, "error" varchar(500) null, "sent_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "ai_leads_user_id_created_at_index" on "ai_leads" ("user_id", "created_at");`);
    this.addSql(`create index "ai_leads_pending_index" on "ai_leads" ("user_id", "created_at") where status = 'pending';`);
    this.addSql(`alter table "ai_leads" add constraint "ai_leads_user_id_phone_unique" unique ("user_id", "phone");`);

    this.addSql(`create table "ai_campaigns" ("id" uuid not null, "user_id" uuid not null, "title" varchar(200) not null, "scheduled_at" timestamptz not null, "niche" varchar(100) null, "target_status" varchar(16) not null default 'all', "message" text not null, "image_url" varchar(2000) null, "media_id" uuid null, "greeting" varchar(16) not null default 'none', "device_limit" int not null, "min_delay_seconds" int not null default 20, "max_delay_seconds" int not null default 60, "device_ids" text[] null, "status" varchar(16) not null default 'scheduled', "status_reason" varchar(300) null, "fired_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "ai_campaigns_user_id_index" on "ai_campaigns" ("user_id");`);
    this.addSql(`create index "ai_campaigns_status_scheduled_at_index" on "ai_campaigns" ("status", "scheduled_at");`);

    this.addSql(`create table "ai_campaign_devices" ("campaign_id" uuid not null, "device_id" uuid not null, "consecutive_failures" int not null default 0, "failed_at" timestamptz null, "last_error" varchar(500) null, primary key ("campaign_id", "device_id"));`);

    this.addSql(`create table "ai_assignments" ("id" uuid not null, "campaign_id" uuid not null, "lead_id" uuid not null, "device_id" uuid not null, "status" varchar(16) not null default 'assigned', "error" varchar(500) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "ai_assignments_campaign_id_device_id_status_index" on "ai_assignments" ("campaign_id", "device_id", "status");`);
    this.addSql(`alter table "ai_assignments" add constraint "ai_assignments_campaign_id_lead_id_device_id_unique" unique ("campaign_id", "lead_id", "device_id");`);

    this.addSql(`alter table "ai_leads" add constraint "ai_leads_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "ai_campaigns" add constraint "ai_campaigns_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "ai_campaign_devices" add constraint "ai_campaign_devices_campaign_id_foreign" foreign key ("campaign_id") references "ai_campaigns" ("id") on delete cascade;`);

    this.addSql(`alter table "ai_assignments" add constraint "ai_assignments_campaign_id_foreign" foreign key ("campaign_id") references "ai_campaigns" ("id") on delete cascade;`);
    this.addSql(`alter table "ai_assignments" add constraint "ai_assignments_lead_id_foreign" foreign key ("lead_id") references "ai_leads" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "ai_assignments" drop constraint "ai_assignments_lead_id_foreign";`);
    this.addSql(`alter table "ai_campaign_devices" drop constraint "ai_campaign_devices_campaign_id_foreign";`);
    this.addSql(`alter table "ai_assignments" drop constraint "ai_assignments_campaign_id_foreign";`);

    this.addSql(`drop table if exists "ai_leads" cascade;`);
    this.addSql(`drop table if exists "ai_campaigns" cascade;`);
    this.addSql(`drop table if exists "ai_campaign_devices" cascade;`);
    this.addSql(`drop table if exists "ai_assignments" cascade;`);
  }

}
