import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110355_Devices extends Migration {

  override name = 'Migration20261123110355_Devices';

  override up(): void | Promise<void> {
    this.addSql(`create table "devices" ("id" uuid not null, "user_id" uuid not null, "name" varchar(100) not null, "phone" varchar(20) null, "jid" varchar(100) null, "lid" varchar(100) null, "status" varchar(16) not null default 'new', "status_reason" varchar(300) null, "last_seen_at" timestamptz null, "min_delay_seconds" int not null default 20, "max_delay_seconds" int not null default 60, "hourly_cap" int not null default 80, "daily_cap" int not null default 800, "warm_up" boolean not null default true, "quiet_start_minute" smallint null, "quiet_end_minute" smallint null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "devices_user_id_index" on "devices" ("user_id");`);
    this.addSql(`create index "devices_status_index" on "devices" ("status");`);

    this.addSql(`create table "device_leases" ("device_id" uuid not null, "node_id" varchar(128) not null, "epoch" bigint not null, "expires_at" timestamptz not null, primary key ("device_id"));`);
    this.addSql(`create index "device_leases_node_id_index" on "device_leases" ("node_id");`);

    this.addSql(`create table "device_auth_keys" ("device_id" uuid not null, "type" varchar(40) not null, "key_id" varchar(300) not null, "value" jsonb not null, primary key ("device_id", "type", "key_id"));`);

    this.addSql(`alter table "devices" add constraint "devices_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "device_leases" add constraint "device_leases_device_id_foreign" foreign key ("device_id") references "devices" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "device_auth_keys" add constraint "device_auth_keys_device_id_foreign" foreign key ("device_id") references "devices" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "device_leases" drop constraint "device_leases_device_id_foreign";`);
    this.addSql(`alter table "device_auth_keys" drop constraint "device_auth_keys_device_id_foreign";`);

    this.addSql(`drop table if exists "devices" cascade;`);
    this.addSql(`drop table if exists "device_leases" cascade;`);
    this.addSql(`drop table if exists "device_auth_keys" cascade;`);
  }

}
