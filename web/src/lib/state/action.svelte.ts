/** What a button that runs a request shows: busy while it runs, and why it failed if it did. */
export class ActionState {
	busy = $state(false);
	error = $state<unknown>(null);

	/** Runs `action` unless one is running; a failure is kept in `error`, never thrown. */
	async run(action: () => Promise<unknown>): Promise<void> {
		this.busy = true;
		this.error = null;
		try {
			await action();
		} catch (caught) {
			this.error = caught;
		} finally {
			this.busy = false;
		}
	}
}
