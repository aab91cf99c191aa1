/** An IANA time zone name the runtime knows ("Europe/Paris"), checked with Intl. */
export function isValidTimezone(zone: string): boolean {
	if (!zone || zone.length > 64) return false;
	try {
		new Intl.DateTimeFormat("en-US", { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}
