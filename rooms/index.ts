/**
 * Every room type the realtime service defines. To add one: write `rooms/<name>.room.ts` extending
 * PlatformRoom and list it here. `options` are server-side create options, merged over (and winning
 * against) what a client passes; `filterBy` names the client options that pick an existing room in
 * joinOrCreate (a room per conversation, per user, per join code...). Rooms reach the broker through
 * rooms/context.ts, never through options.
 */
import type { Room } from "@colyseus/core";
import { ChatRoom } from "./chat.room.js";
import { GroupRoom } from "./group.room.js";
import { RevisionRoom } from "./revision.room.js";
import { UserRoom } from "./user.room.js";

export interface RoomDefinition {
	name: string;
	room: new () => Room<any>;
	options?: Record<string, unknown>;
	filterBy?: string[];
}

export const ROOMS: readonly RoomDefinition[] = [
	{ name: "chat", room: ChatRoom, filterBy: ["conversationId"] },
	{ name: "user", room: UserRoom, filterBy: ["userId"] },
	// Created by the server only (realtime.openGroupRoom); students find it by its join code.
	{ name: "group", room: GroupRoom, filterBy: ["code"] },
	// One per solo live revision session.
	{ name: "revision", room: RevisionRoom },
];
