import { Migration } from '@mikro-orm/migrations';

export class Migration20261123112440_FleetNodes extends Migration {

  override name = 'Migration20261123112440_FleetNodes';

  override up(): void | Promise<void> {
    this.addSql(`create table "fleet_nodes" ("node_id" varchar(128) not null, "seen_at" timestamptz not null, primary key ("node_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "fleet_nodes" cascade;`);
  }

}
