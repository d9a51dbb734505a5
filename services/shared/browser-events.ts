/**
 * A domain names the events its users' browsers receive once, as a map from event name to
 * payload; this turns that map into the list the gateway subscribes to, checked by the compiler
 * to hold every name of the map once and nothing else.
 */
export function browserEventNames<Events>(names: { [Name in keyof Events]: true }): (keyof Events & string)[] {
	return Object.keys(names) as (keyof Events & string)[];
}
