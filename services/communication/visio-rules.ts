/**
 * Visio rules without LiveKit or a database: when a participant may get a join token, what a host and
 * a student may do in the room (LiveKit grants), how room names are made.
 */
import { randomBytes } from "node:crypto";
import { TrackSource, type VideoGrant } from "livekit-server-sdk";

export interface StudentPublish {
	camera: boolean;
	microphone: boolean;
	screenShare: boolean;
}

export type JoinWindow = "early" | "open" | "over" | "cancelled";

export function joinWindow(visio: { status: string; start: Date; end: Date }, now: Date, earlyMinutes: number): JoinWindow {
	if (visio.status === "cancelled") return "cancelled";
	if (visio.status === "ended" || now.getTime() >= visio.end.getTime()) return "over";
	if (now.getTime() < visio.start.getTime() - earlyMinutes * 60_000) return "early";
	return "open";
}

/** 192 random bits: a room name tells nothing about the school, the people or the time, and cannot be guessed. */
export function newRoomName(): string {
	return `lp_${randomBytes(24).toString("base64url")}`;
}

export function publishSources(allowed: StudentPublish): TrackSource[] {
	const sources: TrackSource[] = [];
	if (allowed.camera) sources.push(TrackSource.CAMERA);
	if (allowed.microphone) sources.push(TrackSource.MICROPHONE);
	if (allowed.screenShare) sources.push(TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO);
	return sources;
}

/**
 * LiveKit grants by role. The host (the teacher) publishes anything, moderates (roomAdmin: mute, remove,
 * change permissions) and may record; a student subscribes, chats, and publishes only the sources the host
 * allows. Nobody may create other rooms or list them.
 */
export function grantsFor(role: "host" | "participant", roomName: string, allowed: StudentPublish): VideoGrant {
	const base: VideoGrant = { room: roomName, roomJoin: true, canSubscribe: true, canPublishData: true, roomCreate: false, roomList: false };
	if (role === "host") return { ...base, canPublish: true, roomAdmin: true, roomRecord: true, canUpdateOwnMetadata: true };
	const sources = publishSources(allowed);
	return { ...base, canPublish: sources.length > 0, canPublishSources: sources, roomAdmin: false, roomRecord: false };
}
