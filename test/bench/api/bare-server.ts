/**
 * The baseline: `GET /api/me` done by hand on node:http. Same JWT verification, same document read
 * through the same mongoose model, same JSON out; none of the gateway, broker, validator or
 * permission layers. The ratio against it is what our framework layers cost.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { User } from "../../../models/user.model.js";
import { verifyAccessToken } from "../../../services/shared/tokens.js";

/** The fields `users.me` answers with (users.service PUBLIC_FIELDS). */
const FIELDS = [
	"schoolId", "email", "username", "firstName", "lastName", "locale", "roles", "status",
	"emailVerified", "studentProfile", "teacherProfile", "suspendedAt", "lastLoginAt", "createdAt", "updatedAt",
];

export async function startBareServer(): Promise<{ server: Server; url: string }> {
	const server = createServer(async (req, res) => {
		try {
			const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
			if (req.method !== "GET" || req.url !== "/api/me" || !match) {
				res.writeHead(404).end();
				return;
			}
			const user = await verifyAccessToken(match[1]);
			const doc = await User.findOne({ _id: user.id, schoolId: user.schoolId });
			if (!doc) {
				res.writeHead(404).end();
				return;
			}
			const raw = doc.toJSON() as Record<string, unknown>;
			const out: Record<string, unknown> = { id: String(raw._id) };
			for (const f of FIELDS) if (raw[f] !== undefined) out[f] = raw[f];
			const body = JSON.stringify(out);
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
			res.end(body);
		} catch {
			res.writeHead(401).end();
		}
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me` };
}
