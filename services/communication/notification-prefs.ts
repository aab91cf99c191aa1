/**
 * Notification categories, their default channels, and a user's effective preferences (defaults overlaid
 * with what they chose). Every notification type belongs to one category; email is "off", "instant" or
 * "daily" (collected in the daily digest). Pure.
 */
export const CATEGORIES = ["chat", "rendezvous", "reminders", "learning", "safeguarding", "other"] as const;
export type Category = (typeof CATEGORIES)[number];
export const EMAIL_MODES = ["off", "instant", "daily"] as const;
export type EmailMode = (typeof EMAIL_MODES)[number];

export interface Channels {
	inApp: boolean;
	email: EmailMode;
	push: boolean;
}

export const DEFAULT_CHANNELS: Readonly<Record<Category, Channels>> = Object.freeze({
	chat: { inApp: true, email: "off", push: true },
	rendezvous: { inApp: true, email: "instant", push: true },
	reminders: { inApp: true, email: "instant", push: true },
	learning: { inApp: true, email: "off", push: false },
	safeguarding: { inApp: true, email: "instant", push: false },
	other: { inApp: true, email: "off", push: false },
});

/** Email modes a category accepts: a reminder in tomorrow's digest would come too late. */
export function emailModesOf(category: Category): readonly EmailMode[] {
	return category === "reminders" ? ["off", "instant"] : EMAIL_MODES;
}

export function categoryOf(type: string): Category {
	if (type === "chat.message") return "chat";
	if (type === "chat.report") return "safeguarding";
	if (type.startsWith("rendezvous.") || type.startsWith("visio.")) return "rendezvous";
	if (type.startsWith("reminder.")) return "reminders";
	if (type.startsWith("learning.")) return "learning";
	return "other";
}

export type ChannelOverrides = Partial<Record<Category, Partial<Channels>>>;

export function effectiveChannels(overrides: ChannelOverrides | null | undefined): Record<Category, Channels> {
	const out = {} as Record<Category, Channels>;
	for (const category of CATEGORIES) {
		const own = overrides?.[category] ?? {};
		const base = DEFAULT_CHANNELS[category];
		const email = own.email !== undefined && emailModesOf(category).includes(own.email) ? own.email : base.email;
		out[category] = {
			inApp: typeof own.inApp === "boolean" ? own.inApp : base.inApp,
			email,
			push: typeof own.push === "boolean" ? own.push : base.push,
		};
	}
	return out;
}
