import { Migration20261123082514_Users } from './Migration20261123082514_Users.ts';

/** Migrations in the order they apply. `npm run migration:create -- <name>` writes a new file; add it here. */
export const migrationsList = [
	{ name: 'Migration20261123082514_Users', class: Migration20261123082514_Users },
];
