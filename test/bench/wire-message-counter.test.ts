import { describe, expect, it } from 'vitest';

import { createWireMessageCounter } from '../../scripts/bench/wire-message-counter.ts';

/** A wire message of `length` bytes in all: the standard header, then filler. */
function message(length: number, requestId: number): Buffer {
  const bytes = Buffer.alloc(length, 0xab);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(requestId, 4);
  bytes.writeInt32LE(0, 8);
  bytes.writeInt32LE(2013, 12); // OP_MSG
  return bytes;
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
});
