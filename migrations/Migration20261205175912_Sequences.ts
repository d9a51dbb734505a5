import { Migration } from '@mikro-orm/migrations';

/** Sequences: their steps, and each lead's enrolment in one (a step at a time). */
export class Migration20261205175912_Sequences extends Migration {

  override name = 'Migration20261205175912_Sequences';

  override up(): void | Promise<void> {
    this.addSql(`create table "sequences" ("id" uuid not null, "user_id" uuid not null, "name" varchar(200) not null, "trigger" varchar(100) not null, "niche" varchar(100) null, "description" text null, "status" varchar(16) not null default 'active', "greeting" varchar(16) not null default 'none', "min_delay_seconds" int not null default 20, "max_delay_seconds" int not null default 60, "stop_on_reply" boolean not null default true, "chain_to" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "sequences_user_id_index" on "sequences" ("user_id");`);

    this.addSql(`create table "sequence_steps" ("id" uuid not null, "sequence_id" uuid not null, "position" int not null, "text" text not null, "media_id" uuid null, "image_url" varchar(2000) null, "delay_seconds" int not null, "trigger" varchar(100) not null, "entry" boolean not null default false, primary key ("id"));`);
    this.addSql(`create index "sequence_steps_sequence_id_position_index" on "sequence_steps" ("sequence_id", "position");`);

    this.addSql(`create table "sequence_enrolments" ("id" uuid not null, "user_id" uuid not null, "sequence_id" uuid not null, "lead_id" uuid not null, "device_id" uuid not null, "position" int not null, "step_id" uuid null, "status" varchar(16) not null default 'active', "next_at" timestamptz not null, "trigger" varchar(100) not null, "error" varchar(500) null, "last_sent_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "sequence_enrolments_due_index" on "sequence_enrolments" ("next_at") where status = 'active';`);
    this.addSql(`create index "sequence_enrolments_sequence_id_status_index" on "sequence_enrolments" ("sequence_id", "status");`);
    this.addSql(`create index "sequence_enrolments_lead_id_index" on "sequence_enrolments" ("lead_id");`);
    this.addSql(`alter table "sequence_enrolments" add constraint "sequence_enrolments_sequence_id_lead_id_unique" unique ("sequence_id", "lead_id");`);

    this.addSql(`alter table "sequences" add constraint "sequences_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "sequence_steps" add constraint "sequence_steps_sequence_id_foreign" foreign key ("sequence_id") references "sequences" ("id") on delete cascade;`);

    this.addSql(`alter table "sequence_enrolments" add constraint "sequence_enrolments_sequence_id_foreign" foreign key ("sequence_id") references "sequences" ("id") on delete cascade;`);
    this.addSql(`alter table "sequence_enrolments" add constraint "sequence_enrolments_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sequence_steps" drop constraint "sequence_steps_sequence_id_foreign";`);
    this.addSql(`alter table "sequence_enrolments" drop constraint "sequence_enrolments_sequence_id_foreign";`);

    this.addSql(`drop table if exists "sequences" cascade;`);
    this.addSql(`drop table if exists "sequence_steps" cascade;`);
    this.addSql(`drop table if exists "sequence_enrolments" cascade;`);
  }

}
