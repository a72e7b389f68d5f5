/**
 * Counts MongoDB wire-protocol messages in a byte stream, however TCP cuts it, and names the
 * command each one carries: each message starts with a 16-byte header of four little-endian
 * int32s, messageLength (header included), requestID, responseTo, opCode (MongoDB Wire Protocol,
 * "Standard Message Header"). Only the first HEAD_BYTES of each message are kept (enough for
 * the command's name and collection, describeWireMessage); the rest is skipped by length.
 */
export interface WireMessageCounter {
  /** Feeds the next chunk of one connection's stream, in order. */
  push(chunk: Uint8Array): void;
  /** Whole messages seen so far (a message counts once its last byte arrived). */
  readonly messages: number;
  /** Whole messages so far by what they carry (describeWireMessage), e.g. `find sessions`. */
  readonly commands: ReadonlyMap<string, number>;
}

/** The smallest valid message is its header alone. */
const HEADER_BYTES = 16;
/** A server's maxMessageSizeBytes (48 MB, the `hello` reply's default): no message is longer. */
const MAX_MESSAGE_BYTES = 48_000_000;
/** Enough of a message for its header, the OP_MSG flags and the command's first element. */
const HEAD_BYTES = 512;
const OP_MSG = 2013;
const BSON_STRING = 0x02;

/**
 * Names what a client message asks: for OP_MSG (opCode 2013: flagBits int32, then sections;
 * kind 0 is one BSON document whose FIRST key is the command's name, "OP_MSG" in the MongoDB
 * Wire Protocol reference) the command and, when its value is a string, the collection it
 * names (`find`, `insert`, `update`, `findAndModify`, `delete` do; `hello`, `getMore` do not).
 * `head` is the message's first bytes; anything else is named by its opCode.
 */
export function describeWireMessage(head: Uint8Array): string {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < HEADER_BYTES) return 'unparsed';
  const opCode = view.getInt32(12, true);
  if (opCode !== OP_MSG) return `opCode ${opCode}`;
  // header (16) + flagBits (4) + section kind (1) + document length (4) + element type (1)
  const kindAt = HEADER_BYTES + 4;
  if (head.length < kindAt + 6 || head[kindAt] !== 0) return 'OP_MSG (no body first)';
  const typeAt = kindAt + 5;
  const nameEnd = head.indexOf(0, typeAt + 1);
  if (nameEnd < 0) return 'OP_MSG (unparsed)';
  const name = new TextDecoder().decode(head.subarray(typeAt + 1, nameEnd));
  if (head[typeAt] !== BSON_STRING || nameEnd + 5 > head.length) return name;
  const valueLength = view.getInt32(nameEnd + 1, true);
  const valueEnd = nameEnd + 5 + valueLength - 1; // the length counts the string's NUL
  if (valueLength < 1 || valueEnd > head.length) return name;
  return `${name} ${new TextDecoder().decode(head.subarray(nameEnd + 5, valueEnd))}`;
}

/** `commands` may be shared by several counters (one per connection) to tally them all. */
export function createWireMessageCounter(commands = new Map<string, number>()): WireMessageCounter {
  let messages = 0;
  /** The current message's first bytes (its length field first). */
  const head = new Uint8Array(HEAD_BYTES);
  const headView = new DataView(head.buffer);
  let headFilled = 0;
  /** The current message's length once its first 4 bytes arrived; 0 = not yet known. */
  let length = 0;
  /** Bytes of the current message received so far. */
  let received = 0;
  return {
    push(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        if (length === 0) {
          const taken = Math.min(4 - headFilled, chunk.length - offset);
          head.set(chunk.subarray(offset, offset + taken), headFilled);
          headFilled += taken;
          offset += taken;
          if (headFilled < 4) break;
          length = headView.getInt32(0, true);
          if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES)
            throw new Error(`not a MongoDB wire message: length ${length}`);
          received = 4;
          continue;
        }
        const taken = Math.min(length - received, chunk.length - offset);
        const kept = Math.min(taken, HEAD_BYTES - headFilled);
        if (kept > 0) {
          head.set(chunk.subarray(offset, offset + kept), headFilled);
          headFilled += kept;
        }
        offset += taken;
        received += taken;
        if (received === length) {
          messages += 1;
          const command = describeWireMessage(head.subarray(0, headFilled));
          commands.set(command, (commands.get(command) ?? 0) + 1);
          length = 0;
          headFilled = 0;
        }
      }
    },
    get messages() {
      return messages;
    },
    commands,
  };
}
