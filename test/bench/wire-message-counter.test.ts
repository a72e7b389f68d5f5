import { describe, expect, it } from 'vitest';

import {
  createWireMessageCounter,
  describeWireMessage,
} from '../../scripts/bench/wire-message-counter.ts';

/** A wire message of `length` bytes in all: the standard header, then filler. */
function message(length: number, requestId: number): Buffer {
  const bytes = Buffer.alloc(length, 0xab);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(requestId, 4);
  bytes.writeInt32LE(0, 8);
  bytes.writeInt32LE(2013, 12); // OP_MSG
  return bytes;
}

/** A BSON document of string elements and one int32 (`{ [key]: value, $db: 'tessera' }`). */
function bsonDocument(elements: readonly [string, string | number][]): Buffer {
  const body = elements.map(([key, value]) => {
    const name = Buffer.from(`${key}\0`);
    if (typeof value === 'number') {
      const int = Buffer.alloc(4);
      int.writeInt32LE(value, 0);
      return Buffer.concat([Buffer.from([0x10]), name, int]);
    }
    const text = Buffer.from(`${value}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(text.length, 0);
    return Buffer.concat([Buffer.from([0x02]), name, size, text]);
  });
  const content = Buffer.concat([...body, Buffer.from([0])]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(content.length + 4, 0);
  return Buffer.concat([size, content]);
}

/** An OP_MSG as the driver sends it: header, flagBits, one kind-0 section holding `command`. */
function commandMessage(command: readonly [string, string | number][], padding = 0): Buffer {
  const body = Buffer.concat([
    Buffer.alloc(4), // flagBits
    Buffer.from([0]), // section kind 0: the command document
    bsonDocument([...command, ['$db', 'tessera'], ['pad', 'x'.repeat(padding)]]),
  ]);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(7, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  return Buffer.concat([header, body]);
}

describe('the MongoDB wire-message counter of the bench', () => {
  it('counts several messages that arrive in one chunk', () => {
    const counter = createWireMessageCounter();
    counter.push(Buffer.concat([message(16, 1), message(200, 2), message(37, 3)]));
    expect(counter.messages).toBe(3);
  });

  it('counts a message only once its last byte arrived', () => {
    const counter = createWireMessageCounter();
    const whole = message(100, 1);
    counter.push(whole.subarray(0, 99));
    expect(counter.messages).toBe(0);
    counter.push(whole.subarray(99));
    expect(counter.messages).toBe(1);
  });

  it('reads a length field cut across chunks, byte by byte', () => {
    const counter = createWireMessageCounter();
    const stream = Buffer.concat([message(300, 1), message(70_000, 2), message(16, 3)]);
    for (let i = 0; i < stream.length; i += 1) counter.push(stream.subarray(i, i + 1));
    expect(counter.messages).toBe(3);
  });

  it('counts messages whose boundaries fall anywhere in the chunks', () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => message(16 + i * 7, i)));
    for (const size of [3, 5, 17, 64, 1000]) {
      const counter = createWireMessageCounter();
      for (let at = 0; at < stream.length; at += size) counter.push(stream.subarray(at, at + size));
      expect(counter.messages).toBe(50);
    }
  });

  it('refuses a stream that is not the wire protocol', () => {
    const counter = createWireMessageCounter();
    expect(() => counter.push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(/not a MongoDB wire/);
  });

  it('names a command by its first key and the collection that key names', () => {
    expect(describeWireMessage(commandMessage([['find', 'oidc_models']]))).toBe('find oidc_models');
    expect(describeWireMessage(commandMessage([['findAndModify', 'locks']]))).toBe(
      'findAndModify locks',
    );
  });

  it('names a command whose first value is not a collection by its name alone', () => {
    expect(describeWireMessage(commandMessage([['hello', 1]]))).toBe('hello');
  });

  it('names a message that is not OP_MSG by its opCode', () => {
    expect(describeWireMessage(message(40, 1).fill(0, 12, 16).fill(0xdd, 12, 13))).toBe(
      'opCode 221',
    );
  });

  it('tallies the commands of messages cut across chunks, however long', () => {
    const stream = Buffer.concat([
      commandMessage([['find', 'accounts']], 2000),
      commandMessage([['update', 'grants']]),
      commandMessage([['find', 'accounts']]),
    ]);
    const counter = createWireMessageCounter();
    for (let at = 0; at < stream.length; at += 7) counter.push(stream.subarray(at, at + 7));
    expect(Object.fromEntries(counter.commands)).toEqual({
      'find accounts': 2,
      'update grants': 1,
    });
  });
});
