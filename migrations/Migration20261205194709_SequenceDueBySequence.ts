import { Migration } from '@mikro-orm/migrations';

/**
 * Due steps per sequence: a claim planned from the sequences (as it is while the enrolments'
 * statistics are stale, e.g. on the embedded database, which never analyzes by itself) reads only
 * the due enrolments instead of every active one.
 */
export class Migration20261205194709_SequenceDueBySequence extends Migration {

  override name = 'Migration20261205194709_SequenceDueBySequence';

  override up(): void | Promise<void> {
    this.addSql(`create index "sequence_enrolments_due_by_sequence_index" on "sequence_enrolments" ("sequence_id", "next_at") where status = 'active';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "sequence_enrolments_due_by_sequence_index";`);
  }

}
