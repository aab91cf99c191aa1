// Sends a MongoDB wire-protocol `ping` (OP_MSG) and exits 0 when the server answers { ok: 1 }.
// Dependency-free on purpose: .ci/services.sh must work before `npm ci` has run.
// Usage: node .ci/mongo-ping.mjs [host] [port]
import net from "node:net";

const host = process.argv[2] ?? "127.0.0.1";
const port = Number(process.argv[3] ?? 27017);
const OP_MSG = 2013;

function cstring(s) {
  return Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);
}

// BSON document { ping: 1, $db: "admin" }
function pingDocument() {
  const int1 = Buffer.alloc(4);
  int1.writeInt32LE(1);
  const db = cstring("admin");
  const dbLen = Buffer.alloc(4);
  dbLen.writeInt32LE(db.length);
  const body = Buffer.concat([
    Buffer.from([0x10]), cstring("ping"), int1,
    Buffer.from([0x02]), cstring("$db"), dbLen, db,
    Buffer.from([0x00]),
  ]);
  const len = Buffer.alloc(4);
  len.writeInt32LE(body.length + 4);
  return Buffer.concat([len, body]);
}

function opMsg(doc) {
  const header = Buffer.alloc(16);
  const flags = Buffer.alloc(4);
  const payload = Buffer.concat([flags, Buffer.from([0x00]), doc]);
  header.writeInt32LE(16 + payload.length, 0);
  header.writeInt32LE(1, 4); // requestID
  header.writeInt32LE(0, 8); // responseTo
  header.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([header, payload]);
}

// True when the reply's top-level document has ok == 1 (double or int32).
function replyIsOk(reply) {
  const doc = reply.subarray(21); // 16 header + 4 flagBits + 1 section kind
  const okDouble = Buffer.concat([Buffer.from([0x01]), cstring("ok")]);
  const okInt = Buffer.concat([Buffer.from([0x10]), cstring("ok")]);
  let i = doc.indexOf(okDouble);
  if (i >= 0) return doc.readDoubleLE(i + okDouble.length) === 1;
  i = doc.indexOf(okInt);
  if (i >= 0) return doc.readInt32LE(i + okInt.length) === 1;
  return false;
}

const socket = net.connect({ host, port });
const timer = setTimeout(() => fail("timeout"), 3000);
let received = Buffer.alloc(0);

function fail(reason) {
  clearTimeout(timer);
  socket.destroy();
  console.error(`mongo ping ${host}:${port} failed: ${reason}`);
  process.exit(1);
}

socket.on("connect", () => socket.write(opMsg(pingDocument())));
socket.on("error", (err) => fail(err.message));
socket.on("data", (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 4) return;
  const total = received.readInt32LE(0);
  if (received.length < total) return;
  if (received.readInt32LE(12) !== OP_MSG) return fail("unexpected reply opcode");
  if (!replyIsOk(received.subarray(0, total))) return fail("reply is not { ok: 1 }");
  clearTimeout(timer);
  socket.end();
  process.exit(0);
});
