/**
 * @colyseus/core 0.18 reads the global `WebSocket` (its `OPEN` constant) when a client reconnects
 * (`allowReconnection`), a global Node only has from version 22. On Node 20 the reconnection fails with
 * "WebSocket is not defined", so rooms that allow reconnection import this first: it installs the `ws`
 * package's class (the one the transport already uses) when the runtime has none.
 */
import { WebSocket as NodeWebSocket } from "ws";

const scope = globalThis as { WebSocket?: unknown };
if (typeof scope.WebSocket === "undefined") scope.WebSocket = NodeWebSocket;
