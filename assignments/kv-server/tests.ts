// The kv-server tests, written only against the harness (grader/harness, grader/net). Each test
// checks behaviour the contract states — never one implementation's quirks — so real
// redis-server passes them all, and error replies are checked for being errors, not for text.
import { setTimeout as delay } from 'node:timers/promises';
import { allClients, atLeast, atMost, defineTests, quoteBytes, TestFailure, type TestContext } from '../../grader/authoring.js';
import { around, connectResp, encodeCommand, encodeResp, parseReply, resp, sameText, showCommand, showValue, type Arg, type RespConnection, type RespValue } from '../../grader/kits/resp.js';

const PONG = resp.simple('PONG');
const OK = resp.ok();
const NIL = resp.nil();

const HINT_STREAM =
  'TCP is a byte stream: one recv() may hold part of a command, or several commands. Keep the unparsed bytes of each connection in a buffer, parse every complete command in it, and keep the rest for the next read.';
const HINT_CONCURRENT =
  'Serve every connection at the same time (an event loop with select/poll/asyncio, Node\'s net module, or a thread per client); never wait for one client to finish before reading another.';
const HINT_OWN_SOCKET = `${HINT_CONCURRENT} Each connection must be served with its own socket: with a thread per client, pass the accepted socket to the thread as an argument, never through a variable that the accept loop overwrites.`;
const HINT_SURVIVE =
  'Catch errors per connection (ECONNRESET, broken pipe, a parse error) and close just that connection; one client must never take the server down.';

const isNil = (v: RespValue) => v.type === 'bulk' && v.value === null;

/**
 * Malformed input: the contract says close that connection (Redis replies "-ERR Protocol error
 * ..." first; the error is welcome, not required). Judged on what came: a reply that is not an
 * error, or a connection left open.
 */
async function errorThenClosed(t: TestContext, c: RespConnection, sent: string): Promise<void> {
  const out = await c.client.read(parseReply, 1000);
  const hint = 'Malformed input can never be executed: reply with an error ("-ERR Protocol error ...") if you like, and close that connection, since the bytes after it can no longer be framed.';
  if (out.status === 'complete' && out.value.type !== 'error')
    t.fail(`${c.name}: sent malformed input ${sent}; expected the connection closed (an error reply first is fine); received ${showValue(out.value)}.`, { hint });
  if (out.status === 'invalid') t.fail(`${c.name}: sent malformed input ${sent}; expected the connection closed (an error reply first is fine); received ${around(out.raw, out.offset)}, not valid RESP.`, { hint });
  if (out.status === 'closed') return;
  if (out.status === 'timeout')
    t.fail(`${c.name}: sent malformed input ${sent}; expected the connection closed (an error reply first is fine); ${out.raw.length ? `received only ${quoteBytes(out.raw, { maxBytes: 24 })}, and` : ''} the connection stayed open for 1000 ms.`, { hint });
  if ((await c.client.waitClosed(1000)) === 'timeout')
    t.fail(`${c.name}: sent malformed input ${sent}; received ${showValue(out.value)}, but the connection stayed open for 1000 ms after it.`, {
      hint: 'After a protocol error you can no longer tell where the next command starts: close that connection after the error reply (Redis does).',
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
    await c.expect(['echo', 'MiXeD'], resp.bulk('MiXeD'), { hint, formatJudgedBy: 'echo' });
    const k = t.key('Case');
    await c.expect(['set', k, 'Value'], OK, { hint });
    await c.expect(['gEt', k], resp.bulk('Value'), { hint, formatJudgedBy: 'set-get' });
    // Keys are case-sensitive: the same key in upper case is another key.
    const keyHint = 'Only command names are case-insensitive: keys and values are bytes, compared exactly (do not upper- or lower-case the whole command).';
    await c.expect(['SET', k.toUpperCase(), 'Other'], OK, { hint });
    await c.expect(['GET', k], resp.bulk('Value'), { hint: keyHint, formatJudgedBy: 'set-get' });
    await c.expect(['GET', k.toUpperCase()], resp.bulk('Other'), { hint: keyHint, formatJudgedBy: 'set-get' });
  },

  async 'interleaved-clients'(t) {
    // PING is the probe throughout: whether another command's reply is right is that command's
    // test. What this test judges is that every client is served, and only with its own replies.
    const cs = [await connectResp(t), await connectResp(t), await connectResp(t)];
    // One at a time, in order: c1, c2, c3.
    for (const c of cs) await c.expect(['PING'], PONG, { hint: HINT_OWN_SOCKET });
    // All three commands outstanding at once, sent in reverse order, read in order.
    for (const c of [...cs].reverse()) await c.send(['PING']);
    for (const c of cs) c.check('PING (sent c3 first, c1 last)', PONG, await c.reply('PING (sent c3 first, c1 last)', PONG, { hint: HINT_OWN_SOCKET }), HINT_OWN_SOCKET);
    // A write on one connection is seen on another.
    const k = t.key();
    await cs[0].expect(['SET', k, 'shared'], OK);
    await cs[2].expect(['GET', k], resp.bulk('shared'), { hint: 'All clients share one key space.', formatJudgedBy: 'set-get' });
    for (const c of cs) c.client.close();
    // The barrier: clients that connect at the same instant reach the server's accept loop
    // together, which is when a threaded server that hands the new socket to its thread through
    // a shared variable gives two threads the same socket (and one client none). Many rounds,
    // each with its own seeded order of requests, so a race that loses only sometimes still loses.
    // Some rounds connect back to back instead (each connect awaited, a fraction of a millisecond
    // apart): a race window that simultaneous connects miss may sit there.
    const ROUNDS = 30;
    const AT_ONCE = 10;
    for (let round = 1; round <= ROUNDS; round++) {
      let group: RespConnection[];
      if (t.random() < 0.7) group = await Promise.all(Array.from({ length: AT_ONCE }, () => connectResp(t)));
      else {
        group = [];
        for (let i = 0; i < AT_ONCE; i++) group.push(await connectResp(t));
      }
      const order = group.map((_, i) => i).sort(() => t.random() - 0.5);
      for (const i of order) await group[i].send(['PING']);
      const outcomes = await Promise.all(group.map((c) => c.client.read(parseReply, 2000)));
      const unserved = group.filter((_, i) => outcomes[i].status !== 'complete');
      const wrong = group.findIndex((_, i) => { const o = outcomes[i]; return o.status === 'complete' && !(o.value.type === 'simple' && o.value.value === 'PONG'); });
      // More than one reply on a connection that sent one command: another client's reply. (A
      // reply sent to the wrong client always leaves its own client unserved, so this needs no wait.)
      const doubled = group.filter((c) => c.client.buffered.length > 0);
      if (unserved.length || doubled.length) {
        const first = unserved[0] ?? doubled[0];
        const o = outcomes[group.indexOf(first)];
        const got =
          o.status === 'closed'
            ? `the server ${o.reset ? 'reset' : 'closed'} it without replying`
            : o.status === 'complete'
              ? `received ${quoteBytes(o.raw)} and then more: ${quoteBytes(first.client.buffered, { maxBytes: 24 })}`
              : o.raw.length
                ? `received only ${quoteBytes(o.raw, { maxBytes: 24 })}`
                : 'received nothing within 2000 ms';
        t.fail(
          `round ${round} of ${ROUNDS}: ${AT_ONCE} clients connected together and each sent one PING; ` +
            `${unserved.length ? `${unserved.length} got no reply (${unserved.map((c) => c.name).join(', ')})` : ''}${unserved.length && doubled.length ? ' and ' : ''}` +
            `${doubled.length ? `${doubled.length} got more than one reply (${doubled.map((c) => c.name).join(', ')})` : ''}; ${first.name}: ${got}.`,
          {
            hint:
              'Each connection must be served with its own socket. With a thread per client, pass the accepted socket to the thread as an argument (Thread(target=handle, args=(conn,))), never through a variable that the accept loop overwrites for the next client; keep any other per-client state (the read buffer) per connection too.',
          },
        );
      }
      if (wrong !== -1) group[wrong].check('PING (clients connected at the same instant)', PONG, outcomes[wrong] as { value: RespValue; raw: Buffer }, HINT_CONCURRENT);
      for (const c of group) c.client.close();
    }
    t.log(`${ROUNDS} rounds of ${AT_ONCE} clients connecting together, each served with its own reply`);
  },

  async 'idle-client-does-not-block'(t) {
    const slow = await connectResp(t);
    // Served once first: the server has accepted it and is reading from it.
    await slow.expect(['PING'], PONG);
    // PING, the most basic command: ECHO's reply is the echo test's to judge.
    const cmd = encodeCommand(['PING']);
    const half = Math.floor(cmd.length / 2);
    await slow.client.write(cmd.subarray(0, half));
    t.log(`${slow.name} sent the first ${half} of ${cmd.length} bytes of PING and waits`);
    const other = await connectResp(t);
    await other.send(['PING']);
    const answer = await other.reply('PING', PONG, { hint: `Your server seems to wait for ${slow.name} to finish its command before serving anyone else. ${HINT_CONCURRENT}` });
    // An answer, but the wrong one: the two clients' bytes met in one buffer.
    other.check('PING', PONG, answer, `${other.name}'s bytes were read as the rest of ${slow.name}'s half command: keep the unparsed bytes per connection, never in one buffer (or one parser) shared by all clients.`);
    if (other.client.buffered.length)
      t.fail(`${other.name}: sent PING; the reply "+PONG\\r\\n" was right, but ${other.client.buffered.length} more bytes came with it: ${quoteBytes(other.client.buffered, { maxBytes: 24 })}.`, {
        hint: 'Send exactly one reply per command: check for a reply written twice, or a stray line written to the socket.',
      });
    await slow.client.write(cmd.subarray(half));
    const what = 'the rest of PING';
    slow.check(what, PONG, await slow.reply(what, PONG, { hint: HINT_STREAM }), HINT_STREAM);
  },

  async 'hundred-clients'(t) {
    // Connected one by one, each served once, so all 100 are open (and being served) at the same
    // time; connecting at the same instant is interleaved-clients' subject, not this test's.
    const conns: RespConnection[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const c = await connectResp(t, { timeoutMs: 5000 });
        conns.push(c);
        await c.expect(['PING'], PONG, { timeoutMs: 3000, hint: HINT_CONCURRENT });
      }
      t.log('100 connections open, each served once');
      await allClients(t, conns, 'clients', async (c, i) => {
        const k = t.key(`client${i}`);
        await c.expect(['SET', k, `value ${i}`], OK, { timeoutMs: 3000, hint: HINT_CONCURRENT });
        await c.expect(['GET', k], resp.bulk(`value ${i}`), { timeoutMs: 3000, hint: HINT_CONCURRENT, formatJudgedBy: 'set-get' });
      });
    } catch (e) {
      // Some clients served and the others not at all: say which way the others were left.
      const served = conns.filter((c) => c.replies > 0).length;
      const unserved = conns.filter((c) => c.replies === 0);
      if (!(e instanceof TestFailure) || served < 2 || !unserved.length) throw e;
      const closed = unserved.filter((c) => c.client.peerClosed).length;
      const others = unserved.length === 1 ? 'the next one' : `${unserved.length} others`;
      const hint =
        closed === unserved.length
          ? `Your server answered ${served} clients and closed ${others} without a reply. Each connection must be served with its own socket and its own state: with a thread per client, pass the accepted socket to the thread as an argument.`
          : closed === 0
            ? `Your server answered ${served} clients (all still connected) and left ${others} unanswered: it serves only so many clients at once (a fixed pool of threads or processes, a small select() set, a limit on connections). Serve every connection, however many there are.`
            : undefined;
      if (!hint) throw e;
      t.fail(e.message, { diff: e.diff, timeout: e.timeout, hint });
    }
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
    // A fresh key: whether SET replaces a value is set-get's subject, not this test's.
    const k2 = t.key('bytes');
    t.log(`SET sent one byte per write (${encodeCommand(['SET', k2, 'byte by byte']).length} writes)`);
    await c.expect(['SET', k2, 'byte by byte'], OK, { chunking: { mode: 'bytes' }, pauseMs: 1, hint: HINT_STREAM });
    for (let i = 0; i < 3; i++)
      await c.expect(['GET', k2], resp.bulk('byte by byte'), { chunking: { mode: 'random', random: t.random, maxPiece: 6 }, pauseMs: 1, hint: HINT_STREAM, formatJudgedBy: 'set-get' });
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
    const matches = (x: { expect: RespValue }, v: RespValue) => encodeResp(x.expect).equals(encodeResp(v)) || (x.expect.type === 'bulk' && x.expect.value !== null && sameText(v, x.expect.value));
    for (const [i, x] of cmds.entries()) {
      const what = `command #${i + 1} of 1,000 (${showCommand(x.args)}) in one write`;
      // The first reply may wait for the whole batch to be executed (slow is not wrong here; the
      // throughput test judges speed); after that, a 2 s silence means replies were lost.
      const timeoutMs = i === 0 ? t.remainingMs() - 100 : 2000;
      try {
        const got = await c.reply(what, x.expect, { hint: HINT_STREAM, timeoutMs });
        if (!matches(x, got.value)) await noReplyTo(i, got.value);
        c.check(what, x.expect, got, HINT_STREAM, 'set-get');
      } catch (e) {
        // The message already says how many replies came before (each was checked as it came).
        if (e instanceof TestFailure && i > 0) t.log(`${i} replies were right before this one`);
        throw e;
      }
    }
    /**
     * A wrong reply at #i: if the replies from there on line up with the commands once some are
     * skipped, those commands got no reply at all (a command the server does not implement,
     * answered with nothing). Say which, rather than comparing every later reply off by one.
     */
    async function noReplyTo(i: number, first: RespValue): Promise<void> {
      const rest: RespValue[] = [first];
      while (i + rest.length < cmds.length) {
        const out = await c.client.read(parseReply, 300);
        if (out.status !== 'complete') break;
        rest.push(out.value);
      }
      const skipped: number[] = [];
      let j = i;
      let k = 0;
      while (j < cmds.length && k < rest.length) {
        if (matches(cmds[j], rest[k])) [j, k] = [j + 1, k + 1];
        else if (j + 1 < cmds.length && matches(cmds[j + 1], rest[k])) skipped.push(j++);
        else return; // not a reply stream with gaps: the caller reports the wrong reply
      }
      if (!skipped.length || k < rest.length) return;
      for (; j < cmds.length; j++) skipped.push(j); // the stream ended: the rest got nothing
      const names = [...new Set(skipped.map((n) => String(cmds[n].args[0])))];
      const ofName = (name: string) => cmds.filter((x) => x.args[0] === name).length;
      const allOf = names.every((name) => skipped.filter((n) => cmds[n].args[0] === name).length === ofName(name));
      t.fail(
        `No reply to ${names.join(' or ')}: ${skipped.length.toLocaleString('en-US')} commands got none, the first #${skipped[0] + 1} (${showCommand(cmds[skipped[0]].args)}).\n` +
          `${c.name}: sent 1,000 commands in one write; the replies from #${skipped[0] + 1} on match the commands with ${skipped.length.toLocaleString('en-US')} of them left out` +
          ` (${names.map((name) => `${skipped.filter((n) => cmds[n].args[0] === name).length} of the ${ofName(name)} ${name} commands`).join(', ')}); every reply that came was right and in order.`,
        {
          hint: allOf
            ? `Your server sent no reply to ${names.join(' or ')} at all. Every command gets exactly one reply: implement it, or answer it with an error ("-ERR unknown command ..."), never with silence, or every later reply is taken as the answer to the wrong command.`
            : 'Some commands got no reply at all. Every command gets exactly one reply: check for a command whose reply is dropped (an exception caught without replying, a branch that returns nothing).',
        },
      );
    }
    // Any stray bytes after the 1,000 replies would come before the answer to this sentinel.
    const nonce = t.key('end');
    const sentinel: Arg[] = ['ECHO', nonce];
    await c.send(sentinel);
    const what = `${showCommand(sentinel)} after the 1,000 replies`;
    const got = await c.reply(what, resp.bulk(nonce));
    // The content, not the string form: ECHO's reply form is the echo test's to judge.
    if (!sameText(got.value, nonce))
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
    await c.send(['GET', k]);
    const after = await c.reply(`GET "${k}"`, resp.bulk('second value'));
    if (sameText(after.value, 'first'))
      t.fail(`The second SET did not overwrite the existing key.\n${c.name}: sent SET "${k}" "first", then SET "${k}" "second value" (answered +OK); GET "${k}" returned ${showValue(after.value)}.`, {
        hint: 'SET stores the value whether or not the key exists, replacing the old one (a plain assignment; not setdefault, not "only if the key is missing": that is what NX asks for).',
      });
    c.check(`GET "${k}"`, resp.bulk('second value'), after, 'SET on an existing key replaces its value.');
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
    await c.expect(['GET', n], resp.bulk('2'), { hint: 'INCR stores the number as a string value, so GET returns it as a bulk string.', formatJudgedBy: 'set-get' });
    const ten = t.key('ten');
    await c.expect(['SET', ten, '10'], OK);
    await c.expect(['INCR', ten], resp.integer(11));
    const neg = t.key('neg');
    await c.expect(['SET', neg, '-5'], OK);
    await c.expect(['INCR', neg], resp.integer(-4));
    const text = t.key('text');
    await c.expect(['SET', text, 'abc'], OK);
    await c.expect(['INCR', text], 'error', { hint: 'INCR of a value that is not an integer is an error reply, and the value stays as it was.' });
    await c.expect(['GET', text], resp.bulk('abc'), { hint: 'An INCR answered with an error must leave the value as it was.', formatJudgedBy: 'set-get' });
    const max = t.key('max');
    await c.expect(['SET', max, '9223372036854775807'], OK);
    await c.expect(['INCR', max], 'error', { hint: 'Values are signed 64-bit integers: INCR past 9223372036854775807 is an error reply (watch out for floats and big integers).' });
    await c.expect(['GET', max], resp.bulk('9223372036854775807'), { hint: 'An INCR answered with an error must leave the value as it was.', formatJudgedBy: 'set-get' });
    // Redis' strictness, as the handout states it: what int() in Python or Number() in JS accept is not enough.
    for (const bad of ['1.5', '99999999999999999999', ' 1', '+1', '01']) {
      const b = t.key('strict');
      await c.expect(['SET', b, bad], OK);
      await c.expect(['INCR', b], 'error', {
        hint: 'INCR takes only a canonical base-10 signed 64-bit integer: no decimals, nothing past 2^63-1, no spaces, no "+", no leading zeros. int() in Python and Number() in JavaScript accept some of these: check the text itself (e.g. against -?[1-9][0-9]*|0) and the range.',
      });
      await c.expect(['GET', b], resp.bulk(bad), { hint: 'An INCR answered with an error must leave the value as it was.', formatJudgedBy: 'set-get' });
    }
    // INCR keeps the key's expiry. A control key with the same time to live, set just after it,
    // tells when the counter must be gone; a server that never expires anything is expiry's to judge.
    const [counter, control] = [t.key('ttl'), t.key('control')];
    const sentCounter = performance.now();
    await c.expect(['SET', counter, '5', 'PX', '400'], OK);
    await c.expect(['SET', control, 'x', 'PX', '400'], OK);
    await c.send(['INCR', counter]);
    const incremented = await c.reply(`INCR "${counter}"`, resp.integer(6));
    // ":1" is right if the counter may already have expired (a busy machine): nothing to judge then.
    if (encodeResp(incremented.value).equals(encodeResp(resp.integer(1))) && performance.now() - sentCounter >= 400) {
      t.log(`INCR "${counter}" came more than 400 ms after its SET ... PX 400 (the machine is busy): whether INCR keeps the expiry is not judged`);
      return;
    }
    c.check(`INCR "${counter}"`, resp.integer(6), incremented);
    const since = performance.now();
    for (;;) {
      await c.send(['GET', control]);
      const r = await c.reply(`GET "${control}"`, undefined);
      if (isNil(r.value)) break;
      if (performance.now() - since > 1400) {
        t.log(`the control key set with PX 400 never expired: your server does not expire keys, which the expiry test judges; whether INCR keeps the expiry is not judged here`);
        return;
      }
      await delay(20);
    }
    await c.send(['GET', counter]);
    const left = await c.reply(`GET "${counter}"`, NIL);
    if (!isNil(left.value))
      t.fail(`INCR removed the key's expiry.\n${c.name}: sent SET "${counter}" "5" PX 400, then INCR "${counter}" (answered 6); once a key set with PX 400 just after it had expired, GET "${counter}" still returned ${showValue(left.value)}.`, {
        hint: 'INCR changes the value and keeps the key\'s expiry (as Redis does): store the new number without clearing the key\'s deadline (a plain SET clears it; INCR must not).',
      });
  },

  async expiry(t) {
    const c = await connectResp(t);
    const [ex, px, cleared, renewed, counted, deleted] = [t.key('ex'), t.key('px'), t.key('cleared'), t.key('renewed'), t.key('counted'), t.key('deleted')];
    // Read only with EXISTS and DEL once expired; set before px, so they expire no later than it.
    await c.expect(['SET', counted, 'c', 'PX', '300'], OK, { hint: 'SET accepts PX <milliseconds>.' });
    await c.expect(['SET', deleted, 'd', 'PX', '300'], OK);
    const setPx: Arg[] = ['SET', px, 'short', 'PX', '300'];
    const sentPx = performance.now();
    await c.expect(setPx, OK);
    const tPx = performance.now();
    await c.expect(['SET', cleared, 'v1', 'PX', '100'], OK);
    await c.expect(['SET', renewed, 'v1', 'PX', '100'], OK);
    const tShort = performance.now();
    await c.expect(['SET', cleared, 'v2'], OK);
    await c.expect(['SET', renewed, 'v2', 'PX', '60000'], OK);
    const setEx: Arg[] = ['SET', ex, 'one second', 'EX', '1'];
    const sentEx = performance.now();
    await c.expect(setEx, OK, { hint: 'SET accepts EX <seconds>.' });
    const tEx = performance.now();

    // The lower bound: a key must still be there while its time cannot have passed yet. From the
    // moment the SET was sent to the moment the GET's reply came, less than its time to live: the
    // server saw the GET before the key could expire, however slow either side was.
    const stillThere = async (set: Arg[], ttlMs: number, sent: number, label: string, unit: string) => {
      const [, key, value] = set;
      await c.send(['GET', key]);
      const what = showCommand(['GET', key]);
      const r = await c.reply(what, resp.bulk(value));
      const at = Math.round(performance.now() - sent);
      if (isNil(r.value) && at < ttlMs - 5)
        t.fail(`${c.name}: sent ${showCommand(set)}; ${at.toLocaleString('en-US')} ms later ${what} returned nil "$-1\\r\\n": the key was gone long before its ${ttlMs.toLocaleString('en-US')} ms had passed.`, {
          hint: `${unit} Remember the deadline as now + EX*1000 ms or now + PX ms, in milliseconds.`,
        });
      if (isNil(r.value)) t.log(`${label}: the GET came ${at} ms after the SET was sent, too late to judge "still there" (the machine is busy)`);
      else {
        c.check(`${what} (${at} ms after ${showCommand(set)})`, resp.bulk(value), r, undefined, 'set-get');
        t.log(`${label} still there after ${at} ms`);
      }
    };
    // The upper bound: polled every 20 ms; gone within its time to live plus a generous 1,000 ms.
    const waitGone = async (set: Arg[], ttlMs: number, since: number, label: string) => {
      const [, key, value] = set;
      const bound = ttlMs + 1000;
      for (;;) {
        await c.send(['GET', key]);
        const what = showCommand(['GET', key]);
        const r = await c.reply(what, undefined);
        if (isNil(r.value)) {
          t.log(`${label} gone after ${Math.round(performance.now() - since)} ms`);
          return;
        }
        // Anything but the value that was set, or nil, is wrong at once (an empty string for a
        // missing key is the classic): say so rather than "still there".
        if (!sameText(r.value, value)) c.check(`${what} (after ${showCommand(set)})`, NIL, r);
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
    const PX_UNIT = 'PX counts milliseconds: PX 300 lives 300 ms.';
    const EX_UNIT = 'EX counts seconds: EX 1 lives 1,000 ms (is it taken as milliseconds?).';
    await stillThere(setEx, 1000, sentEx, 'EX 1', EX_UNIT);
    await stillThere(setPx, 300, sentPx, 'PX 300', PX_UNIT);
    const halfPx = 150 - (performance.now() - sentPx);
    if (halfPx > 0) await delay(halfPx);
    await stillThere(setPx, 300, sentPx, 'PX 300', PX_UNIT);
    const sinceShort = performance.now() - tShort;
    if (sinceShort < 150) await delay(150 - sinceShort);
    for (const [key, hint] of [
      [cleared, 'A plain SET (without EX or PX) removes the expiry the key had, as in Redis.'],
      [renewed, 'A SET with EX or PX replaces the expiry the key had with the new one.'],
    ]) {
      await c.send(['GET', key]);
      const r = await c.reply(`GET "${key}"`, resp.bulk('v2'));
      // Still there, with the first value: the second SET did not replace it, which set-get judges.
      if (sameText(r.value, 'v1')) t.log(`GET "${key}" returned "v1": the second SET did not replace the value (set-get judges that); the key is still there, as it must be`);
      else c.check(`GET "${key}" (150 ms after it was set with PX 100 and set again)`, resp.bulk('v2'), r, hint, 'set-get');
    }
    await waitGone(setPx, 300, tPx, 'PX 300');
    // An expired key is missing for every command, not only GET (these two were never read with GET).
    const expiredHint = 'An expired key behaves exactly like a missing key for every command: check the deadline wherever a key is looked up (EXISTS, DEL, INCR, SET NX/XX), not only in GET.';
    for (const [args, want] of [[['EXISTS', counted], resp.integer(0)], [['DEL', deleted], resp.integer(0)]] as Array<[Arg[], RespValue]>) {
      await c.send(args);
      const r = await c.reply(showCommand(args), want);
      // A server without EXISTS or DEL, or whose count is wrong for a key never set either:
      // that is del-exists's to judge, not expiry's.
      if (r.value.type === 'error') {
        t.log(`${showCommand(args)} got ${showValue(r.value)}; del-exists judges EXISTS and DEL, so the expired key's count is not judged here`);
        continue;
      }
      if (!encodeResp(r.value).equals(encodeResp(want))) {
        const never: Arg[] = [args[0], t.key('never')];
        await c.send(never);
        const control = await c.reply(showCommand(never), want);
        if (encodeResp(control.value).equals(encodeResp(r.value))) {
          t.log(`${showCommand(args)} got ${showValue(r.value)} for an expired key, and ${showCommand(never)} (a key never set) got the same: del-exists judges that count, not this test`);
          continue;
        }
      }
      c.check(`${showCommand(args)} (its key was set with PX 300, and has expired)`, want, r, expiredHint);
    }
    const sixTenths = 600 - (performance.now() - sentEx);
    if (sixTenths > 0) await delay(sixTenths);
    await stillThere(setEx, 1000, sentEx, 'EX 1', EX_UNIT);
    await waitGone(setEx, 1000, tEx, 'EX 1');
  },

  async 'nx-xx'(t) {
    const c = await connectResp(t);
    const [k, missing] = [t.key('nx'), t.key('xx')];
    const value = async (key: string) => {
      await c.send(['GET', key]);
      return (await c.reply(`GET "${key}"`, undefined)).value;
    };
    /** A SET whose condition is not met must reply nil and change nothing: on a wrong reply, GET tells what it did. */
    const refused = async (args: Arg[], before: string | null, option: 'NX' | 'XX') => {
      await c.send(args);
      const what = showCommand(args);
      const r = await c.reply(what, NIL);
      if (isNil(r.value)) return;
      const now = await value(String(args[1]));
      const changed = before === null ? !isNil(now) : !sameText(now, before);
      if (changed && !(r.value.type === 'error'))
        t.fail(
          (option === 'NX' ? 'NX is ignored: the value was overwritten.' : 'XX is ignored: the key was created.') +
            `\n${c.name}: sent ${what} on ${before === null ? 'a missing key' : `a key holding "${before}"`}; expected nil "$-1\\r\\n"; received ${showValue(r.value)}, and GET "${args[1]}" then returned ${showValue(now)}.`,
          {
            hint:
              option === 'NX'
                ? 'SET ... NX sets the key only if it does not exist yet: on an existing key it changes nothing and replies nil ("$-1\\r\\n"). Parse the options after the value and check the condition before storing.'
                : 'SET ... XX sets the key only if it already exists: on a missing key it stores nothing and replies nil ("$-1\\r\\n"). Parse the options after the value and check the condition before storing.',
          },
        );
      c.check(what, NIL, r, `SET ... ${option} whose condition is not met does nothing and replies nil ("$-1\\r\\n").`);
    };
    await c.expect(['SET', k, 'first', 'NX'], OK, { hint: 'SET ... NX sets the key only if it does not exist yet.' });
    await refused(['SET', k, 'second', 'NX'], 'first', 'NX');
    await c.expect(['GET', k], resp.bulk('first'), { formatJudgedBy: 'set-get' });
    await refused(['SET', missing, 'x', 'XX'], null, 'XX');
    await c.expect(['GET', missing], NIL);
    await c.expect(['SET', k, 'third', 'XX'], OK, { hint: 'SET ... XX sets the key only if it already exists.' });
    const third = await value(k);
    if (sameText(third, 'first')) {
      // Follow up: does a plain SET replace a value? If not either, set-get charges that bug.
      await c.expect(['SET', k, 'plain'], OK);
      if (sameText(await value(k), 'first')) {
        t.log(`SET ... XX on an existing key left its old value, and so does a plain SET: set-get judges that; NX and XX are not judged further here`);
        return;
      }
      t.fail(`${c.name}: sent SET "${k}" "third" XX on a key holding "first" (answered +OK); GET "${k}" then returned "first": XX did not replace the value (a plain SET does).`, {
        hint: 'SET ... XX on an existing key stores the new value, exactly like a plain SET.',
      });
    }
    c.check(`GET "${k}"`, resp.bulk('third'), { value: third, raw: encodeResp(third) }, undefined, 'set-get');
    await c.expect(['SET', k, 'fourth', 'px', '60000', 'xx'], OK, { hint: 'Options are case-insensitive and may come in any order.' });
    await c.expect(['GET', k], resp.bulk('fourth'), { formatJudgedBy: 'set-get' });
  },

  async 'unknown-command'(t) {
    const c = await connectResp(t);
    const hint = 'Answer an unknown command with an error reply ("-ERR unknown command ...") and keep the connection open for the next command.';
    await c.expect(['NOSUCHCOMMAND', 'a', 'b'], 'error', { hint });
    await c.expect(['PING'], PONG, { hint });
    await c.expect([t.key('CMD')], 'error', { hint });
    await c.expect(['PING'], PONG, { hint });
    // A name with "\r\n" in it: an error text that echoes it unscrubbed breaks the reply stream.
    const odd: Arg[] = ['NO\r\nSUCH', 'x'];
    const scrub = 'An error reply is one line: if its text repeats the command name (or any client bytes), replace "\\r" and "\\n" in it (Redis turns them into spaces), or the rest of the text arrives as a bogus reply.';
    await c.send(odd);
    const r = await c.reply(showCommand(odd), 'error', { hint });
    c.check(showCommand(odd), 'error', r, hint);
    if (c.client.buffered.length)
      t.fail(`${c.name}: sent ${showCommand(odd)}; received ${showValue(r.value)} and then ${quoteBytes(c.client.buffered, { maxBytes: 40 })}: the error text held the name's "\\r\\n", which ended the reply early.`, { hint: scrub });
    await c.expect(['PING'], PONG, { hint: scrub });
  },

  async 'wrong-arity'(t) {
    const c = await connectResp(t);
    const hint = 'Check the number of arguments before running a command, and answer a wrong count with an error reply ("-ERR wrong number of arguments ..."); keep the connection open.';
    const bad: Arg[][] = [['GET'], ['GET', 'a', 'b'], ['SET', 'k'], ['ECHO'], ['ECHO', 'a', 'b'], ['INCR'], ['DEL'], ['EXISTS'], ['PING', 'a', 'b']];
    for (const args of bad) await c.expect(args, 'error', { hint });
    await c.expect(['PING'], PONG, { hint });
  },

  async 'malformed-protocol'(t) {
    // One by one, each served once first (connecting at the same instant is the concurrency tests' subject).
    const bad1 = await connectResp(t);
    await bad1.expect(['PING'], PONG);
    const bad2 = await connectResp(t);
    await bad2.expect(['PING'], PONG);
    await bad1.client.write('*abc\r\n');
    t.log(`${bad1.name} sent "*abc\\r\\n" (an array length that is not a number)`);
    await bad2.client.write('*1\r\n:5\r\n');
    t.log(`${bad2.name} sent "*1\\r\\n:5\\r\\n" (an array holding an integer, not a bulk string)`);
    const good = await connectResp(t);
    await good.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    await errorThenClosed(t, bad1, '"*abc\\r\\n"');
    await errorThenClosed(t, bad2, '"*1\\r\\n:5\\r\\n"');
    // PING, the most basic request: whether the others work is their own tests' to judge.
    await good.expect(['PING'], PONG, { hint: HINT_SURVIVE });
    const fresh = await connectResp(t);
    await fresh.expect(['PING'], PONG, { hint: HINT_SURVIVE });
  },

  async 'abrupt-disconnect'(t) {
    // Several victims, because whether one reset reaches a server as an error depends on timing:
    // half of them reset in the middle of a command, half right after a whole command (so the
    // server writes its reply into a connection that is gone: EPIPE / ECONNRESET / SIGPIPE).
    // One by one, each with a round trip, so the server has accepted each connection and is
    // reading from it (connecting all at once is the concurrency tests' subject, not this one's).
    const victims: RespConnection[] = [];
    for (let i = 0; i < 6; i++) {
      const v = await connectResp(t);
      await v.expect(['PING'], PONG);
      victims.push(v);
    }
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
    await fresh.expect(['PING'], PONG, { hint: HINT_SURVIVE });
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
    // Each connection accepted and in use before the abuse starts; one by one (connecting all at
    // once is the concurrency tests' subject).
    const conns: RespConnection[] = [];
    for (let i = 0; i < abuse.length; i++) {
      const c = await connectResp(t);
      await c.expect(['PING'], PONG);
      conns.push(c);
    }
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
    // One by one, each with a round trip: connecting at the same instant is interleaved-clients'
    // and hundred-clients' subject; this test measures the rate once every client is being served.
    const conns: RespConnection[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = await connectResp(t);
      await c.send(['PING']);
      c.check('PING', PONG, await c.reply('PING', PONG, { hint: HINT_CONCURRENT }), HINT_CONCURRENT);
      conns.push(c);
    }
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
