/**
 * Where live rooms are: GET /api/client-config names the realtime node's public URL (REALTIME_PUBLIC_URL)
 * or only its port, which goes with the page's own host name (ws, or wss when the page is https).
 */
import { Client } from "@colyseus/sdk";
import { api } from "../api/http.ts";
import { accessToken } from "../api/session.ts";

let endpoint: Promise<string> | undefined;

export function realtimeEndpoint(): Promise<string> {
	endpoint ??= (api.get("/api/client-config", { anonymous: true }) as Promise<{ realtime: { url: string | null; port: number } }>).then(
		({ realtime }) => realtime.url ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.hostname}:${realtime.port}`,
		err => {
			endpoint = undefined;
			throw err;
		},
	);
	return endpoint;
}

/** An SDK client carrying the current access token (rooms check it when joining). */
export async function realtimeClient(): Promise<Client> {
	const client = new Client(await realtimeEndpoint());
	client.auth.token = accessToken() ?? "";
	return client;
}
