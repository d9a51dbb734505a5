import { Migration } from '@mikro-orm/migrations';

export class Migration20261123130255_Leads extends Migration {

  override name = 'Migration20261123130255_Leads';

  override up(): void | Promise<void> {
    // Niches are kept as written and matched case-insensitively through this, which the GIN index below covers.
    this.addSql(`create function lead_niche_keys(niches text[]) returns text[] language sql immutable strict parallel safe as $$ select array(select lower(n) from unnest(niches) n) $$;`);
    this.addSql(`create table "lead_webhook_keys" ("user_id" uuid not null, "key_hash" varchar(64) not null, "created_at" timestamptz not null, primary key ("user_id"));`);
    this.addSql(`alter table "lead_webhook_keys" add constraint "lead_webhook_keys_key_hash_unique" unique ("key_hash");`);

    this.addSql(`create table "leads" ("id" uuid not null, "user_id" uuid not null, "device_id" uuid not null, "name" varchar(200) not null default '', "phone" varchar(20) not null, "niches" text[] not null default '{}', "target_status" varchar(16) not null default 'prospect', "triggers" text[] not null default '{}', "notes" text null, "opted_out" boolean not null default false, "opted_out_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "leads_user_id_id_index" on "leads" ("user_id", "id");`);
    this.addSql(`create index "leads_user_id_created_at_index" on "leads" ("user_id", "created_at");`);
    this.addSql(`create index "leads_niche_keys_index" on "leads" using gin (lead_niche_keys("niches"));`);
    this.addSql(`alter table "leads" add constraint "leads_device_id_phone_unique" unique ("device_id", "phone");`);

    this.addSql(`alter table "lead_webhook_keys" add constraint "lead_webhook_keys_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "leads" add constraint "leads_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "leads" add constraint "leads_device_id_foreign" foreign key ("device_id") references "devices" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "lead_webhook_keys" cascade;`);
    this.addSql(`drop table if exists "leads" cascade;`);
    this.addSql(`drop function if exists lead_niche_keys(text[]);`);
  }

}
