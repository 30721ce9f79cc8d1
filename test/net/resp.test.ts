import { describe, expect, test } from 'vitest';
import { encodeCommand, encodeResp, parseReply, resp, type RespValue } from '../../grader/net/resp.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('RESP reply parser', () => {
  test.each<[string, RespValue]>([
    ['+PONG\r\n', resp.simple('PONG')],
    ['-ERR nope\r\n', resp.error('ERR nope')],
    [':-42\r\n', resp.integer(-42)],
    ['$5\r\nhe\r\no\r\n', resp.bulk('he\r\no')],
    ['$0\r\n\r\n', resp.bulk('')],
    ['$-1\r\n', resp.nil()],
    ['*2\r\n$1\r\na\r\n:1\r\n', { type: 'array', value: [resp.bulk('a'), resp.integer(1)] }],
  ])('parses %j and re-encodes it identically', (wire, value) => {
    const step = parseReply(b(wire));
    expect(step).toEqual({ status: 'complete', value, length: wire.length });
    expect(encodeResp(value).toString('latin1')).toBe(wire);
  });

  test('every strict prefix of a valid reply is incomplete, never invalid', () => {
    const wires = ['+PONG\r\n', '$11\r\nhello world\r\n', '*2\r\n$1\r\na\r\n:1\r\n', ':123\r\n', '$-1\r\n'];
    for (const w of wires) for (let i = 0; i < w.length; i++) expect(parseReply(b(w.slice(0, i)))).toEqual({ status: 'incomplete' });
  });

  test('reports only the first reply and its length, leaving extra bytes unconsumed', () => {
    expect(parseReply(b('+OK\r\n+EXTRA\r\n'))).toMatchObject({ status: 'complete', length: 5 });
  });

  test.each([
    ['+PONG\n', /"\\n" without "\\r"/, 5],
    ['PONG\r\n', /must start with one of/, 0],
    ['$5\r\nhelloXY', /not followed by "\\r\\n"/, 9],
    [':abc\r\n', /not a number/, 1],
    ['$-7\r\n', /not a valid length/, 1],
    ['*x\r\n', /not a valid length/, 1],
  ])('rejects %j as invalid with the offending offset', (wire, reason, offset) => {
    const step = parseReply(b(wire));
    expect(step.status).toBe('invalid');
    if (step.status === 'invalid') {
      expect(step.reason).toMatch(reason);
      expect(step.offset).toBe(offset);
    }
  });

  test('encodes commands as arrays of bulk strings, binary-safe', () => {
    expect(encodeCommand(['SET', 'k', Buffer.from([0, 13, 10])]).toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\x00\r\n\r\n');
  });
});
