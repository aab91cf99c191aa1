/**
 * The LiveKit server the visio service talks to (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET):
 * RoomServiceClient for rooms and participants, WebhookReceiver for its signed webhooks, AccessToken for
 * join tokens. Null when LiveKit is not configured (visio tokens then answer 503).
 */
import { AccessToken, RoomServiceClient, WebhookReceiver } from "livekit-server-sdk";
import { settings } from "../../config/env.js";

export interface LiveKit {
	rooms: RoomServiceClient;
	webhooks: WebhookReceiver;
	apiKey: string;
	apiSecret: string;
	/** What browsers connect to. */
	publicUrl: string;
}

let cached: { signature: string; value: LiveKit } | undefined;

export function livekit(): LiveKit | null {
	const { livekitUrl, livekitApiKey, livekitApiSecret, livekitPublicUrl } = settings();
	if (!livekitUrl || !livekitApiKey || !livekitApiSecret) return null;
	const signature = [livekitUrl, livekitApiKey, livekitApiSecret, livekitPublicUrl].join("|");
	if (cached?.signature !== signature) {
		const api = livekitUrl.replace(/^ws(s?):/, "http$1:");
		cached = {
			signature,
			value: {
				rooms: new RoomServiceClient(api, livekitApiKey, livekitApiSecret),
				webhooks: new WebhookReceiver(livekitApiKey, livekitApiSecret),
				apiKey: livekitApiKey,
				apiSecret: livekitApiSecret,
				publicUrl: livekitPublicUrl ?? livekitUrl.replace(/^http(s?):/, "ws$1:"),
			},
		};
	}
	return cached.value;
}

export { AccessToken };
