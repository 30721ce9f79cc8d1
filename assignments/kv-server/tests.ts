// The kv-server tests, written only against the harness (grader/harness, grader/net). Each test
// checks behaviour the contract states — never one implementation's quirks — so real
// redis-server passes them all, and error replies are checked for being errors, not for text.
import { setTimeout as delay } from 'node:timers/promises';
import { allClients, atLeast, atMost, defineTests, quoteBytes, TestFailure, type TestContext } from '../../grader/authoring.js';
import { around, connectResp, encodeCommand, parseReply, resp, showCommand, showValue, type Arg, type RespConnection, type RespValue } from '../../grader/kits/resp.js';

const PONG = resp.simple('PONG');
const OK = resp.ok();
const NIL = resp.nil();

const HINT_STREAM =
  'TCP is a byte stream: one recv() may hold part of a command, or several commands. Keep the unparsed bytes of each connection in a buffer, parse every complete command in it, and keep the rest for the next read.';
const HINT_CONCURRENT =
  'Serve every connection at the same time (an event loop with select/poll/asyncio, Node\'s net module, or a thread per client); never wait for one client to finish before reading another.';
const HINT_SURVIVE =
  'Catch errors per connection (ECONNRESET, broken pipe, a parse error) and close just that connection; one client must never take the server down.';

/** If the connection has a reply (or was closed), the reply must be an error. */
async function errorOrNothing(t: TestContext, c: RespConnection, sent: string, waitMs: number): Promise<void> {
  const out = await c.client.read(parseReply, waitMs);
  if (out.status === 'complete' && out.value.type !== 'error')
    t.fail(`${c.name}: sent malformed input ${sent}; expected an error reply or the connection closed; received ${showValue(out.value)}.`, {
      hint: 'Malformed input must never be executed as a command: reply with an error ("-ERR Protocol error ...") and/or close that connection.',
    });
}

export default defineTests({
  async ping(t) {
    const c = await connectResp(t);
    await c.expect(['PING'], PONG, {
      hint: 'Read the command (the array of bulk strings "*1\\r\\n$4\\r\\nPING\\r\\n") and write back the simple string "+PONG\\r\\n".',
    });
  },

  async 'ping-many'(t) {
    const c = await connectResp(t);
    for (let i = 0; i < 20; i++) {
      await c.expect(['PING'], PONG, {
        hint: i > 0 ? 'A connection carries many commands: after replying, keep reading from the same connection instead of closing it.' : undefined,
      });
    }
    t.log('20 PINGs answered on one connection');
  },

  async echo(t) {
    const c = await connectResp(t);
    await c.expect(['ECHO', 'hello world'], resp.bulk('hello world'));
    await c.expect(['PING', 'hi'], resp.bulk('hi'), { hint: 'PING with an argument returns the argument as a bulk string.' });
    const word = t.key('echo');
    await c.expect(['ECHO', word], resp.bulk(word));
    await c.expect(['ECHO', ''], resp.bulk(''), { hint: 'An empty argument is a bulk string of length 0: "$0\\r\\n\\r\\n".' });
  },

  async 'case-insensitive'(t) {
    const c = await connectResp(t);
    const hint = 'Command names are case-insensitive: compare them after upper-casing (keys and values keep their case).';
    await c.expect(['ping'], PONG, { hint });
    await c.expect(['PiNg'], PONG, { hint });
    await c.expect(['echo', 'MiXeD'], resp.bulk('MiXeD'), { hint });
    const k = t.key('Case');
    await c.expect(['set', k, 'Value'], OK, { hint });
    await c.expect(['gEt', k], resp.bulk('Value'), { hint });
  },

  async 'interleaved-clients'(t) {
    const cs = [await connectResp(t), await connectResp(t), await connectResp(t)];
    // One at a time, in order: c1, c2, c3.
    for (const [i, c] of cs.entries()) await c.expect(['ECHO', `client ${i + 1}`], resp.bulk(`client ${i + 1}`), { hint: HINT_CONCURRENT });
    // All three commands outstanding at once, sent in reverse order, read in order.
    for (const [i, c] of [...cs.entries()].reverse()) await c.send(['ECHO', `again ${i + 1}`]);
    for (const [i, c] of cs.entries()) {
      const what = showCommand(['ECHO', `again ${i + 1}`]);
      c.check(what, resp.bulk(`again ${i + 1}`), await c.reply(what, resp.bulk(`again ${i + 1}`), { hint: HINT_CONCURRENT }), HINT_CONCURRENT);
    }
    // A write on one connection is seen on another.
    const k = t.key();
    await cs[0].expect(['SET', k, 'shared'], OK);
    await cs[2].expect(['GET', k], resp.bulk('shared'), { hint: 'All clients share one key space.' });
  },

  async 'idle-client-does-not-block'(t) {
    const slow = await connectResp(t);
    const cmd = encodeCommand(['ECHO', 'hello']);
    const half = Math.floor(cmd.length / 2);
    await slow.client.write(cmd.subarray(0, half));
    t.log(`${slow.name} sent the first ${half} of ${cmd.length} bytes of ECHO "hello" and waits`);
    const other = await connectResp(t);
    await other.expect(['PING'], PONG, {
      hint: `Your server seems to wait for ${slow.name} to finish its command before serving anyone else. ${HINT_CONCURRENT}`,
    });
    await slow.client.write(cmd.subarray(half));
    const what = 'the rest of ECHO "hello"';
    slow.check(what, resp.bulk('hello'), await slow.reply(what, resp.bulk('hello'), { hint: HINT_STREAM }), HINT_STREAM);
  },

  async 'hundred-clients'(t) {
    // Connect all first, so that all 100 are open at the same time.
    const conns = await Promise.all(Array.from({ length: 100 }, () => connectResp(t, { timeoutMs: 5000 })));
    t.log('100 connections open');
    await allClients(t, conns, 'clients', async (c, i) => {
      const k = t.key(`client${i}`);
      await c.expect(['SET', k, `value ${i}`], OK, { timeoutMs: 3000, hint: HINT_CONCURRENT });
      await c.expect(['GET', k], resp.bulk(`value ${i}`), { timeoutMs: 3000, hint: HINT_CONCURRENT });
    });
    t.log('each did SET and GET of its own key, all at once');
  },

  async 'split-commands'(t) {
    const c = await connectResp(t);
    const k = t.key('split');
    const args = ['SET', k, 'split value'];
    const cmd = encodeCommand(args);
    for (let cut = 1; cut < cmd.length; cut++) {
      t.log(`SET in two writes, cut after byte ${cut}`);
      // The pause makes the two pieces arrive in separate reads on the server.
      await c.expect(args, OK, { chunking: { mode: 'at', offsets: [cut] }, pauseMs: 2, hint: HINT_STREAM });
    }
    t.log(`SET sent one byte per write (${cmd.length} writes)`);
    await c.expect(['SET', k, 'byte by byte'], OK, { chunking: { mode: 'bytes' }, pauseMs: 1, hint: HINT_STREAM });
    for (let i = 0; i < 3; i++) await c.expect(['GET', k], resp.bulk('byte by byte'), { chunking: { mode: 'random', random: t.random, maxPiece: 6 }, pauseMs: 1, hint: HINT_STREAM });
  },

  async 'pipelined-1000'(t) {
    const c = await connectResp(t);
    const counter = t.key('counter');
    const cmds: Array<{ args: Arg[]; expect: RespValue }> = [];
    for (let i = 0; i < 1000; i++) {
      const k = `${counter}:${Math.floor(i / 4)}`;
      switch (i % 4) {
        case 0: cmds.push({ args: ['SET', k, `v${i}`], expect: OK }); break;
        case 1: cmds.push({ args: ['GET', k], expect: resp.bulk(`v${i - 1}`) }); break;
        case 2: cmds.push({ args: ['INCR', counter], expect: resp.integer(Math.floor(i / 4) + 1) }); break;
        default: cmds.push({ args: ['PING'], expect: PONG });
      }
    }
    await c.client.write(Buffer.concat(cmds.map((x) => encodeCommand(x.args))));
    t.log('1,000 commands sent in one write');
    for (const [i, x] of cmds.entries()) {
      const what = `command #${i + 1} of 1,000 (${showCommand(x.args)}) in one write`;
      // The first reply may wait for the whole batch to be executed (slow is not wrong here; the
      // throughput test judges speed); after that, a 2 s silence means replies were lost.
      const timeoutMs = i === 0 ? t.remainingMs() - 100 : 2000;
      try {
        c.check(what, x.expect, await c.reply(what, x.expect, { hint: HINT_STREAM, timeoutMs }), HINT_STREAM);
      } catch (e) {
        // The message already says how many replies came before (each was checked as it came).
        if (e instanceof TestFailure && i > 0) t.log(`${i} replies were right before this one`);
        throw e;
      }
    }
    // Any stray bytes after the 1,000 replies would come before the answer to this sentinel.
    const nonce = t.key('end');
    const sentinel: Arg[] = ['ECHO', nonce];
    await c.send(sentinel);
    const what = `${showCommand(sentinel)} after the 1,000 replies`;
    const got = await c.reply(what, resp.bulk(nonce));
    if (!(got.value.type === 'bulk' && got.value.value?.equals(Buffer.from(nonce))))
      t.fail(`${c.name}: the 1,000 replies were right; then sent ${showCommand(sentinel)}; expected ${showValue(resp.bulk(nonce))}; received ${showValue(got.value)} first, a reply to no command.`, {
        hint: 'Every command gets exactly one reply: check for a reply written twice, or a stray line (a debug print, a prompt) written to the socket.',
      });
    t.log('1,000 replies in order, nothing extra');
  },

  async 'set-get'(t) {
    const c = await connectResp(t);
    const k = t.key();
    await c.expect(['GET', k], NIL);
    await c.expect(['SET', k, 'first'], OK, { hint: 'SET replies "+OK\\r\\n".' });
    await c.expect(['GET', k], resp.bulk('first'));
    await c.expect(['SET', k, 'second value'], OK);
    await c.expect(['GET', k], resp.bulk('second value'), { hint: 'SET on an existing key replaces its value.' });
    const empty = t.key('empty');
    await c.expect(['SET', empty, ''], OK);
    await c.expect(['GET', empty], resp.bulk(''), { hint: 'An empty value exists: it is "$0\\r\\n\\r\\n", not nil.' });
    await c.expect(['GET', t.key('missing')], NIL);
  },

  async 'binary-values'(t) {
    const c = await connectResp(t);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const cases: Array<[string, Buffer]> = [
      ['every byte 0-255', all],
      ['every byte, shuffled', Buffer.from([...all].sort(() => t.random() - 0.5))],
      ['embedded \\r\\n', Buffer.from('line one\r\nline two\r\n\r\n')],
      ['text that looks like RESP', Buffer.from('$-1\r\n+OK\r\n*2\r\n')],
      ['NUL bytes', Buffer.from([0, 0, 65, 0])],
      ['invalid UTF-8', Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80])],
    ];
    for (const [name, value] of cases) {
      t.log(`value: ${name}`);
      const k = t.key('bin');
      await c.expect(['SET', k, value], OK);
      await c.expect(['GET', k], resp.bulk(value));
    }
    const binKey = Buffer.concat([Buffer.from('key\r\n'), Buffer.from([0, 0xff, 0x80]), Buffer.from(t.key())]);
    t.log('a binary key');
    await c.expect(['SET', binKey, 'under a binary key'], OK);
    await c.expect(['GET', binKey], resp.bulk('under a binary key'), { hint: 'Keys are binary-safe too: compare them as bytes.' });
  },

  async 'large-value'(t) {
    const c = await connectResp(t);
    const k = t.key('large');
    const value = t.randomBytes(512 * 1024);
    await c.expect(['SET', k, value], OK, { timeoutMs: 4000, hint: 'A 512 KiB value arrives over many reads: keep reading until the bulk string has all its bytes.' });
    await c.expect(['GET', k], resp.bulk(value), { timeoutMs: 4000, hint: 'Send the whole value back: check that every byte is written (sendall, or handle partial writes).' });
    t.log('512 KiB stored and returned intact');
  },

  async 'del-exists'(t) {
    const c = await connectResp(t);
    const [a, b, x] = [t.key('a'), t.key('b'), t.key('x')];
    await c.expect(['EXISTS', a, b, x], resp.integer(0), { hint: 'EXISTS replies with the number of named keys that exist, as an integer ":<n>\\r\\n".' });
    await c.expect(['SET', a, '1'], OK);
    await c.expect(['SET', b, '2'], OK);
    await c.expect(['EXISTS', a, b, x], resp.integer(2));
    await c.expect(['EXISTS', a, a], resp.integer(2), { hint: 'A key named twice is counted twice by EXISTS (as Redis does).' });
    await c.expect(['DEL', a, x], resp.integer(1), { hint: 'DEL replies with the number of keys it actually removed.' });
    await c.expect(['EXISTS', a], resp.integer(0));
    await c.expect(['GET', a], NIL);
    await c.expect(['DEL', a], resp.integer(0));
    await c.expect(['DEL', b, b], resp.integer(1), { hint: 'DEL replies with the number of keys it actually removed; a key named twice is removed once.' });
    await c.expect(['EXISTS', b], resp.integer(0));
  },

  async incr(t) {
    const c = await connectResp(t);
    const n = t.key('n');
    await c.expect(['INCR', n], resp.integer(1), { hint: 'INCR of a missing key starts from 0 and replies ":1\\r\\n".' });
    await c.expect(['INCR', n], resp.integer(2));
    await c.expect(['GET', n], resp.bulk('2'), { hint: 'INCR stores the number as a string value, so GET returns it as a bulk string.' });
    const ten = t.key('ten');
    await c.expect(['SET', ten, '10'], OK);
    await c.expect(['INCR', ten], resp.integer(11));
    const neg = t.key('neg');
    await c.expect(['SET', neg, '-5'], OK);
    await c.expect(['INCR', neg], resp.integer(-4));
    const text = t.key('text');
    await c.expect(['SET', text, 'abc'], OK);
    await c.expect(['INCR', text], 'error', { hint: 'INCR of a value that is not an integer is an error reply, and the value stays as it was.' });
    await c.expect(['GET', text], resp.bulk('abc'));
    const max = t.key('max');
    await c.expect(['SET', max, '9223372036854775807'], OK);
    await c.expect(['INCR', max], 'error', { hint: 'Values are signed 64-bit integers: INCR past 9223372036854775807 is an error reply (watch out for floats and big integers).' });
  },

  async expiry(t) {
    const c = await connectResp(t);
    const [ex, px, cleared] = [t.key('ex'), t.key('px'), t.key('cleared')];
    const setPx: Arg[] = ['SET', px, 'short', 'PX', '100'];
    await c.expect(setPx, OK, { hint: 'SET accepts PX <milliseconds>.' });
    const tPx = performance.now();
    await c.expect(['SET', cleared, 'v1', 'PX', '100'], OK);
    const tCleared = performance.now();
    await c.expect(['SET', cleared, 'v2'], OK);
    const setEx: Arg[] = ['SET', ex, 'one second', 'EX', '1'];
    await c.expect(setEx, OK, { hint: 'SET accepts EX <seconds>.' });
    const tEx = performance.now();
    await c.expect(['GET', ex], resp.bulk('one second'), { hint: 'EX counts seconds (PX counts milliseconds): a key set with EX 1 lives for one second.' });
    // Expiry is an event in time: poll for it, within a generous bound.
    const waitGone = async (set: Arg[], ttlMs: number, since: number, label: string) => {
      const [, key, value] = set;
      const bound = ttlMs + 1000;
      for (;;) {
        await c.send(['GET', key]);
        const what = showCommand(['GET', key]);
        const r = await c.reply(what, undefined);
        if (r.value.type === 'bulk' && r.value.value === null) {
          t.log(`${label} gone after ${Math.round(performance.now() - since)} ms`);
          return;
        }
        // Anything but the value that was set, or nil, is wrong at once (an empty string for a
        // missing key is the classic): say so rather than "still there".
        if (r.value.type !== 'bulk' || !r.value.value?.equals(Buffer.from(value))) c.check(`${what} (after ${showCommand(set)})`, NIL, r);
        const still = Math.round(performance.now() - since);
        if (still > bound)
          // A key still there is a wrong answer (GET must say nil), not a slow one: the time is detail.
          t.failTiming({
            message: `${c.name}: sent ${showCommand(set)}; ${still.toLocaleString('en-US')} ms later ${what} still returned ${showValue(r.value)}; expected nil "$-1\\r\\n" once its ${ttlMs.toLocaleString('en-US')} ms had passed.`,
            hint: 'Remember when each key expires (now + EX*1000 or + PX ms) and treat an expired key as missing when it is read.',
            measurements: [atMost(`the key set with ${label} was still there after`, still, bound, { why: `its ${ttlMs} ms to live, plus 1,000 ms` })],
            answersRight: false,
          });
        await delay(20);
      }
    };
    await waitGone(setPx, 100, tPx, 'PX 100');
    const sinceCleared = performance.now() - tCleared;
    if (sinceCleared < 150) await delay(150 - sinceCleared);
    await c.expect(['GET', cleared], resp.bulk('v2'), { hint: 'A plain SET (without EX or PX) removes the expiry the key had, as in Redis.' });
    await waitGone(setEx, 1000, tEx, 'EX 1');
  },

  async 'nx-xx'(t) {
    const c = await connectResp(t);
    const [k, missing] = [t.key('nx'), t.key('xx')];
    await c.expect(['SET', k, 'first', 'NX'], OK, { hint: 'SET ... NX sets the key only if it does not exist yet.' });
    await c.expect(['SET', k, 'second', 'NX'], NIL, { hint: 'SET ... NX on an existing key does nothing and replies nil ("$-1\\r\\n").' });
    await c.expect(['GET', k], resp.bulk('first'));
    await c.expect(['SET', missing, 'x', 'XX'], NIL, { hint: 'SET ... XX on a missing key does nothing and replies nil ("$-1\\r\\n").' });
    await c.expect(['GET', missing], NIL);
    await c.expect(['SET', k, 'third', 'XX'], OK, { hint: 'SET ... XX sets the key only if it already exists.' });
    await c.expect(['GET', k], resp.bulk('third'));
    await c.expect(['SET', k, 'fourth', 'px', '60000', 'xx'], OK, { hint: 'Options are case-insensitive and may come in any order.' });
    await c.expect(['GET', k], resp.bulk('fourth'));
  },

  async 'set-option-errors'(t) {
    const c = await connectResp(t);
    const k = t.key('opt');
    const bad: Arg[][] = [
      ['SET', k, 'v', 'EX', '0'],
      ['SET', k, 'v', 'PX', '-5'],
      ['SET', k, 'v', 'EX', 'abc'],
      ['SET', k, 'v', 'EX'],
      ['SET', k, 'v', 'NX', 'XX'],
      ['SET', k, 'v', 'BOGUS'],
    ];
    for (const args of bad)
      await c.expect(args, 'error', { hint: 'Invalid SET options (a non-positive or non-numeric time, a missing value, NX with XX, an unknown word) get an error reply, and the key is not set.' });
    await c.expect(['GET', k], NIL, { hint: 'A SET that was answered with an error must not have stored anything.' });
    await c.expect(['PING'], PONG);
  },

  async 'unknown-command'(t) {
    const c = await connectResp(t);
    const hint = 'Answer an unknown command with an error reply ("-ERR unknown command ...") and keep the connection open for the next command.';
    await c.expect(['NOSUCHCOMMAND', 'a', 'b'], 'error', { hint });
    await c.expect(['PING'], PONG, { hint });
    await c.expect([t.key('CMD')], 'error', { hint });
    await c.expect(['ECHO', 'still here'], resp.bulk('still here'), { hint });
  },

  async 'wrong-arity'(t) {
    const c = await connectResp(t);
    const hint = 'Check the number of arguments before running a command, and answer a wrong count with an error reply ("-ERR wrong number of arguments ..."); keep the connection open.';
    const bad: Arg[][] = [['GET'], ['GET', 'a', 'b'], ['SET', 'k'], ['ECHO'], ['ECHO', 'a', 'b'], ['INCR'], ['DEL'], ['EXISTS'], ['PING', 'a', 'b']];
    for (const args of bad) await c.expect(args, 'error', { hint });
    await c.expect(['PING'], PONG, { hint });
  },

  async 'malformed-protocol'(t) {
    const bad1 = await connectResp(t);
    const bad2 = await connectResp(t);
    await bad1.client.write('*abc\r\n');
    t.log(`${bad1.name} sent "*abc\\r\\n" (an array length that is not a number)`);
    await bad2.client.write('*1\r\n:5\r\n');
    t.log(`${bad2.name} sent "*1\\r\\n:5\\r\\n" (an array holding an integer, not a bulk string)`);
    const good = await connectResp(t);
    await good.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    await Promise.all([errorOrNothing(t, bad1, '"*abc\\r\\n"', 500), errorOrNothing(t, bad2, '"*1\\r\\n:5\\r\\n"', 500)]);
    await good.expect(['ECHO', 'after malformed input'], resp.bulk('after malformed input'), { hint: HINT_SURVIVE });
    const fresh = await connectResp(t);
    await fresh.expect(['PING'], PONG, { hint: HINT_SURVIVE });
  },

  async 'abrupt-disconnect'(t) {
    // Several victims, because whether one reset reaches a server as an error depends on timing:
    // half of them reset in the middle of a command, half right after a whole command (so the
    // server writes its reply into a connection that is gone: EPIPE / ECONNRESET / SIGPIPE).
    const victims = await Promise.all(Array.from({ length: 6 }, () => connectResp(t)));
    // A round trip first, so the server has accepted each connection and is reading from it.
    await Promise.all(victims.map((v) => v.expect(['PING'], PONG)));
    await Promise.all(
      victims.map(async (v, i) => {
        const cmd = encodeCommand(['SET', t.key('rst'), 'never answered']);
        await v.client.write(i % 2 ? cmd : cmd.subarray(0, 12));
        v.client.reset();
      }),
    );
    t.log(`${victims.length} clients reset their connections (RST): 3 in the middle of a SET, 3 right after sending one`);
    const other = await connectResp(t);
    // Two round trips: the second is only sent after the server handled the event loop turn in
    // which it saw the resets, so a server that dies of them has died by then.
    await other.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    await other.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    const fresh = await connectResp(t);
    await fresh.expect(['ECHO', 'alive'], resp.bulk('alive'), { hint: HINT_SURVIVE });
  },

  async 'half-close'(t) {
    const c = await connectResp(t);
    await c.send(['PING']);
    c.client.end();
    const what = 'PING and then shut down its sending side (FIN)';
    c.check(what, PONG, await c.reply(what, PONG, { hint: 'A client may shut down its sending side right after its last command: an end of input (recv() returning 0) means "no more commands", not "drop the replies". Reply to what arrived, then close.' }));
  },

  async 'still-alive'(t) {
    const before = t.program.startNumber;
    const key = t.key('abuse');
    const abuse: Array<[string, (c: RespConnection) => Promise<void>]> = [
      ['malformed array length', async (c) => void (await c.client.write('*abc\r\n'))],
      ['array of an integer', async (c) => void (await c.client.write('*1\r\n:5\r\n'))],
      ['reset mid-command', async (c) => { await c.client.write(encodeCommand(['SET', key, 'x']).subarray(0, 9)); c.client.reset(); }],
      ['reset right after a command', async (c) => { await c.send(['SET', key, 'y']); c.client.reset(); }],
      ['reset right after another', async (c) => { await c.send(['GET', key]); c.client.reset(); }],
      ['half-close after PING', async (c) => { await c.send(['PING']); c.client.end(); }],
      ['unknown command', async (c) => c.send(['NOSUCHCOMMAND'])],
      ['wrong arity', async (c) => c.send(['GET'])],
      ['huge bulk length, then gone', async (c) => { await c.client.write('*2\r\n$3\r\nGET\r\n$999999999\r\nabc'); c.client.close(); }],
      ['connect and leave', async (c) => c.client.close()],
      ['random bytes, then gone', async (c) => { await c.client.write(t.randomBytes(64)); c.client.close(); }],
      ['half a command, then FIN', async (c) => { await c.client.write('*1\r\n$4\r\nPI'); c.client.end(); }],
    ];
    const conns = await Promise.all(abuse.map(() => connectResp(t)));
    // Each connection accepted and in use before the abuse starts.
    await Promise.all(conns.map((c) => c.expect(['PING'], PONG)));
    await Promise.all(abuse.map(([, act], i) => act(conns[i])));
    t.log(`all at once: ${abuse.map(([name]) => name).join('; ')}`);
    for (let i = 0; i < 2; i++) {
      const c = await connectResp(t);
      await c.expect(['PING'], PONG, { hint: HINT_SURVIVE });
      await c.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    }
    if (t.program.startNumber !== before || !t.program.running)
      t.fail('your server did not survive: it exited and a new process answered.', { hint: HINT_SURVIVE });
  },

  async throughput(t) {
    const CLIENTS = 8;
    const PER_CLIENT = 250;
    const BATCH = 25;
    // 2,000 commands in 2 s: a correct server needs under 150 ms here idle and under 750 ms with
    // the machine overloaded; a server that spends 2 ms per command needs at least 4 s, however
    // idle the machine is. Wide margins both ways: the verdict never depends on the load.
    const WINDOW_MS = 2000;
    const conns = await Promise.all(Array.from({ length: CLIENTS }, () => connectResp(t)));
    let done = 0;
    const perClient = conns.map(() => 0);
    // Replies judged only to tell "too slow" from "wrong" when too few came in time (the
    // verdict stays the rate's): the first wrong one, if any.
    let wrong: string | undefined;
    const start = performance.now();
    const end = start + WINDOW_MS;
    await allClients(t, conns, 'pipelining clients', async (c, ci) => {
      const k = t.key(`tp${ci}`);
      for (let sent = 0; sent < PER_CLIENT; sent += BATCH) {
        const batch: Arg[][] = [];
        for (let j = 0; j < BATCH; j++) batch.push((sent + j) % 2 ? ['GET', k] : ['SET', k, `v${sent + j}`]);
        await c.client.write(Buffer.concat(batch.map((a) => encodeCommand(a))));
        for (let j = 0; j < BATCH; j++) {
          const left = end - performance.now();
          if (left <= 0) return;
          const out = await c.client.read(parseReply, left);
          const which = `${showCommand(batch[j])} (command ${sent + j + 1} of ${PER_CLIENT}, in batches of ${BATCH})`;
          // A reply that cannot be parsed, or a closed connection, is wrong, not slow.
          if (out.status === 'invalid')
            t.fail(`${c.name}: sent ${which}; received ${around(out.raw, out.offset)}, not valid RESP: ${out.reason} at byte ${out.offset}.`, {
              hint: out.reason.includes('without "\\r"') ? 'End every line of a reply with "\\r\\n", not "\\n" alone.' : HINT_STREAM,
            });
          if (out.status === 'closed')
            t.fail(`${c.name}: sent ${which}; the server ${out.reset ? 'reset (RST)' : 'closed'} the connection after ${perClient[ci]} replies.`, {
              hint: 'A connection carries many commands: keep reading from it, and answer every command of a batch, until the client closes it.',
            });
          if (out.status !== 'complete') return;
          if (out.value.type === 'error')
            t.fail(`${c.name}: sent ${which}; received ${showValue(out.value)}.`, {
              hint: `Pipelined SET and GET commands are valid and must each get their normal reply. ${HINT_STREAM}`,
            });
          perClient[ci]++;
          const n = sent + j;
          const right = n % 2 ? out.value.type === 'bulk' && out.value.value?.toString() === `v${n - 1}` : out.value.type === 'simple' && out.value.value === 'OK';
          if (!right && wrong === undefined) wrong = `${c.name}: ${showCommand(batch[j])} got ${quoteBytes(out.raw, { maxBytes: 40 })}`;
          done++;
        }
      }
    });
    const ms = performance.now() - start;
    const total = CLIENTS * PER_CLIENT;
    const rate = Math.round((done / Math.max(ms, 1)) * 1000);
    t.log(`${done} of ${total} commands answered in ${Math.round(ms)} ms (about ${rate.toLocaleString('en-US')} commands/s)`);
    if (done === total) t.metric('commandsPerSecond', rate);
    if (done < total) {
      // Not even one batch per client answered: replies are lost, not slow.
      const lost = done < CLIENTS * BATCH;
      // Clients that got no reply at all while others were served: one client at a time.
      const starved = perClient.filter((n) => n === 0).length;
      t.failTiming({
        message:
          `${CLIENTS} clients each sent ${PER_CLIENT} SET/GET commands in batches of ${BATCH}; only ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} were answered within ${WINDOW_MS.toLocaleString('en-US')} ms ` +
          `(about ${Math.round(done / (WINDOW_MS / 1000)).toLocaleString('en-US')} commands/s; at least ${Math.round(total / (WINDOW_MS / 1000)).toLocaleString('en-US')} are needed).` +
          (starved && starved < CLIENTS ? `\n${starved} of the ${CLIENTS} clients got no reply at all.` : '') +
          (wrong ? `\nSome replies were wrong, too; the first: ${wrong}.` : ''),
        hint:
          starved && starved < CLIENTS
            ? `Some clients were served and others not at all. ${HINT_CONCURRENT}`
            : lost
              ? `Each client sends ${BATCH} commands in one write and most got no reply at all. ${HINT_STREAM}`
              : 'Something in your server is slow per command: a sleep, a blocking disk write, a flush per reply, or an O(n) scan. A plain event-loop server answers more than 20,000 commands/s here.',
        measurements: [
          atLeast('answered', Math.round(done / (WINDOW_MS / 1000)), Math.round(total / (WINDOW_MS / 1000)), {
            unit: 'commands/s',
            why: `${total.toLocaleString('en-US')} commands from ${CLIENTS} clients within ${WINDOW_MS.toLocaleString('en-US')} ms`,
          }),
        ],
        // Only timing when every reply that came was right and each client was being served.
        answersRight: !lost && !starved && wrong === undefined,
      });
    }
  },
});
