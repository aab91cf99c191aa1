/**
 * Is a room still alive? Its listing in the shared matchmaker says where it runs; a process killed
 * without a goodbye leaves its listings behind, so the process is asked too (Colyseus' health check,
 * which sweeps a dead process's listings when it does not answer).
 */
import { matchMaker } from "@colyseus/core";

export async function roomAlive(roomId: string): Promise<boolean> {
	const [listing] = (await matchMaker.query({ roomId } as any)) as { processId: string }[];
	if (!listing) return false;
	if (listing.processId === matchMaker.processId) return !!matchMaker.getLocalRoomById(roomId);
	return matchMaker.healthCheckProcessId(listing.processId);
}
