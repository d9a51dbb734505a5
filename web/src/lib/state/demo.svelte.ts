import { fetchDemoMode, linkDemoPhone } from '../api/demo.ts';

/** Demo mode: a fake phone that can link devices, offered only when the server runs one. */
class Demo {
	enabled = $state(false);
	#checked: Promise<void> | undefined;

	/** Asks the server once per page load; a failed check is retried next time. */
	check(): Promise<void> {
		this.#checked ??= fetchDemoMode().then(
			(enabled) => {
				this.enabled = enabled;
			},
			(error: unknown) => {
				this.#checked = undefined;
				console.error('Could not tell whether demo mode is on', error);
			},
		);
		return this.#checked;
	}

	link(deviceId: string): Promise<void> {
		return linkDemoPhone(deviceId);
	}
}

export const demo = new Demo();
