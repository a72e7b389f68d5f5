/**
 * Counts MongoDB wire-protocol messages in a byte stream, however TCP cuts it: each message
 * starts with a 16-byte header of four little-endian int32s, messageLength (header included),
 * requestID, responseTo, opCode (MongoDB Wire Protocol, "Standard Message Header"). Only the
 * first four bytes of each message are read; the rest is skipped by length.
 */
export interface WireMessageCounter {
  /** Feeds the next chunk of one connection's stream, in order. */
  push(chunk: Uint8Array): void;
  /** Whole messages seen so far (a message counts once its last byte arrived). */
  readonly messages: number;
}

/** The smallest valid message is its header alone. */
const HEADER_BYTES = 16;
/** A server's maxMessageSizeBytes (48 MB, the `hello` reply's default): no message is longer. */
const MAX_MESSAGE_BYTES = 48_000_000;

export function createWireMessageCounter(): WireMessageCounter {
  let messages = 0;
  /** Bytes of the current message still to skip; 0 = at a message boundary. */
  let remaining = 0;
  /** The first bytes of a length field cut across chunks. */
  const lengthBytes = new Uint8Array(4);
  let lengthFilled = 0;
  return {
    push(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining > 0) {
          const skipped = Math.min(remaining, chunk.length - offset);
          offset += skipped;
          remaining -= skipped;
          if (remaining === 0) messages += 1;
          continue;
        }
        const taken = Math.min(4 - lengthFilled, chunk.length - offset);
        lengthBytes.set(chunk.subarray(offset, offset + taken), lengthFilled);
        lengthFilled += taken;
        offset += taken;
        if (lengthFilled < 4) break;
        lengthFilled = 0;
        const length = new DataView(lengthBytes.buffer).getInt32(0, true);
        if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES)
          throw new Error(`not a MongoDB wire message: length ${length}`);
        remaining = length - 4;
      }
    },
    get messages() {
      return messages;
    },
  };
}
