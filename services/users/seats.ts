/** Which accounts take a seat of the school's subscription: its teachers and students, while active. */
const SEAT_ROLES = ["teacher", "student"];

export function holdsSeat(roles: readonly string[]): boolean {
	return roles.some(r => SEAT_ROLES.includes(r));
}

/** Seats to take (+1), give back (-1) or leave (0) when an active user's roles change. */
export function seatDelta(before: readonly string[], after: readonly string[]): -1 | 0 | 1 {
	const was = holdsSeat(before);
	const is = holdsSeat(after);
	return was === is ? 0 : is ? 1 : -1;
}
