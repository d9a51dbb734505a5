import { Migration } from '@mikro-orm/migrations';

export class Migration20261123130831_Media extends Migration {

  override name = 'Migration20261123130831_Media';

  override up(): void | Promise<void> {
    this.addSql(`create table "media" ("id" uuid not null, "user_id" uuid not null, "content_type" varchar(64) not null, "bytes" bytea not null, "size" int not null, "width" int not null, "height" int not null, "sha256" varchar(64) not null, "original_name" varchar(255) null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "media" add constraint "media_user_id_sha256_unique" unique ("user_id", "sha256");`);

    this.addSql(`alter table "media" add constraint "media_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "media" cascade;`);
  }

}
