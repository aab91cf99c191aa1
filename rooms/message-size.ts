/**
 * The WebSocket `maxPayload` of the realtime port, derived from the largest valid client message
 * rather than chosen: Colyseus's default (4 KiB) closed the socket with 1009 on a chat message of 1,500
 * emoji, which REST accepted.
 *
 * A client frame (Colyseus 0.18 SDK) is: a protocol byte, for `room.request` a request id (a
 * schema-encoded number, ≤ 9 bytes), the message type (a schema-encoded string: a length prefix of
 * ≤ 5 bytes and its UTF-8 bytes), then the payload in msgpack. msgpack stores a string as its UTF-8 bytes
 * behind a 1 to 5 byte header and never escapes anything (JSON would, up to 6 bytes for a control
 * character, but room messages are not JSON).
 *
 * The largest valid message is a chat `send` whose raw text has MESSAGE_RAW_MAX_UNITS UTF-16 units
 * (what the validator lets through before cleaning; after cleaning at most 4,000 characters remain).
 * UTF-8 needs at most 3 bytes per UTF-16 unit: 1 to 3 bytes for a unit of the basic plane, 4 bytes for
 * the 2 units of a character beyond it (emoji). Answers in the revision rooms are far smaller (a short
 * answer is at most 500 characters); they are computed too, so a change of either limit moves the bound.
 */
import { CLIENT_ID_MAX, MESSAGE_RAW_MAX_UNITS } from "../services/communication/chat-rules.js";
import { CONTENT_LIMITS } from "../services/learning/content/content-types.js";
import { MAX_ANSWER_TEXT } from "../services/learning/content/grading.js";

export const UTF8_BYTES_PER_UTF16_UNIT = 3;
/** Protocol byte, request id, and a message type of up to 64 ASCII characters with its length prefix. */
export const FRAME_HEADER_BYTES = 1 + 9 + 5 + 64;

/** Bytes of a msgpack string of `utf8` bytes: its header (fixstr, str8, str16 or str32) and the bytes. */
export function msgpackStringBytes(utf8: number): number {
	return utf8 + (utf8 < 32 ? 1 : utf8 < 0x100 ? 2 : utf8 < 0x10000 ? 3 : 5);
}

const key = (name: string) => msgpackStringBytes(Buffer.byteLength(name));
const MAP_HEADER = 1;
const NUMBER = 9;

/** The largest valid chat `send`: `{clientId, text}`. */
export function chatSendBytes(): number {
	return (
		FRAME_HEADER_BYTES +
		MAP_HEADER +
		key("clientId") +
		msgpackStringBytes(CLIENT_ID_MAX) +
		key("text") +
		msgpackStringBytes(MESSAGE_RAW_MAX_UNITS * UTF8_BYTES_PER_UTF16_UNIT)
	);
}

/** The largest valid answer in a revision room: `{questionIndex, clientId, answer}`, the answer being the larger of a short answer and a choice list. */
export function answerBytes(): number {
	const text = MAP_HEADER + key("text") + msgpackStringBytes(MAX_ANSWER_TEXT * UTF8_BYTES_PER_UTF16_UNIT);
	const choices = MAP_HEADER + key("choiceIds") + 5 + CONTENT_LIMITS.maxChoices * msgpackStringBytes(CONTENT_LIMITS.choiceId);
	return FRAME_HEADER_BYTES + MAP_HEADER + key("questionIndex") + NUMBER + key("clientId") + msgpackStringBytes(100) + key("answer") + Math.max(text, choices);
}

/** `maxPayload` of the WebSocket server: the largest valid message, nothing more. */
export const WS_MAX_PAYLOAD = Math.max(chatSendBytes(), answerBytes());
