// BUG: no 'error' handler on client sockets. When a client resets its connection (RST, e.g. it
// crashed or was killed mid-command), the socket emits 'error' (ECONNRESET) with no listener,
// Node throws it as an uncaught exception, and the whole server process dies for every client.
// Everything else here is a correct kv-server (same behaviour as ../_base/kvbase.py).
'use strict';
const net = require('node:net');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_LINE = 64 * 1024;
const MAX_BULK = 512 * 1024 * 1024;

// Redis' string2ll: canonical base-10 signed 64-bit integer (no "+", spaces, leading zeros, "-0").
function parseInt64(buf) {
  const s = buf.toString('latin1');
  if (s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const n = BigInt(s);
  return n >= INT64_MIN && n <= INT64_MAX ? n : null;
}

class ProtocolError extends Error {}

// One command from buf at pos: { args, next } | null (incomplete); throws ProtocolError.
function parseOne(buf, pos) {
  if (buf[pos] !== 0x2a /* '*' */) {
    // inline command ("PING\r\n"), as Redis accepts
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) {
      if (buf.length - pos > MAX_LINE) throw new ProtocolError('Protocol error: too big inline request');
      return null;
    }
    const line = buf.toString('latin1', pos, buf[lf - 1] === 0x0d && lf - 1 >= pos ? lf - 1 : lf);
    const args = line.split(/[ \t\r\n\v\f]+/).filter((w) => w.length).map((w) => Buffer.from(w, 'latin1'));
    return { args, next: lf + 1 };
  }
  const header = (at, what) => {
    const cr = buf.indexOf(0x0d, at);
    if (cr < 0 || cr + 1 >= buf.length) {
      if (buf.length - at > MAX_LINE) throw new ProtocolError(`Protocol error: too big ${what} count string`);
      return null;
    }
    return { text: buf.subarray(at + 1, cr), next: cr + 2 };
  };
  let h = header(pos, 'mbulk');
  if (!h) return null;
  const count = parseInt64(h.text);
  if (count === null || count > 2147483647n) throw new ProtocolError('Protocol error: invalid multibulk length');
  let at = h.next;
  const args = [];
  for (let i = 0n; i < count; i++) {
    if (at >= buf.length) return null;
    if (buf[at] !== 0x24 /* '$' */) throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[at])}'`);
    h = header(at, 'bulk');
    if (!h) return null;
    const size = parseInt64(h.text);
    if (size === null || size < 0n || size > BigInt(MAX_BULK)) throw new ProtocolError('Protocol error: invalid bulk length');
    const n = Number(size);
    if (buf.length < h.next + n + 2) return null;
    args.push(Buffer.from(buf.subarray(h.next, h.next + n)));
    at = h.next + n + 2;
  }
  return { args, next: at };
}

const simple = (s) => Buffer.from(`+${s}\r\n`);
// One line, always: "\r" and "\n" in the text (an echoed command name) become spaces, as in Redis.
const error = (m) => Buffer.from(`-ERR ${m.replace(/[\r\n]/g, ' ')}\r\n`);
const integer = (n) => Buffer.from(`:${n}\r\n`);
const bulk = (b) => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
const NIL = Buffer.from('$-1\r\n');

class CommandError extends Error {}

const data = new Map(); // key (latin1 string of the key bytes) -> value Buffer
const expires = new Map(); // key -> deadline (ms since the epoch)

function lookup(k) {
  const deadline = expires.get(k);
  if (deadline !== undefined && Date.now() > deadline) {
    data.delete(k);
    expires.delete(k);
  }
  return data.get(k);
}

function set(args) {
  const k = args[1].toString('latin1');
  let nx = false, xx = false, unit = null, amountArg = null;
  for (let i = 3; i < args.length; i++) {
    const opt = args[i].toString('latin1').toUpperCase();
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if ((opt === 'EX' || opt === 'PX') && (unit === null || unit === opt) && i + 1 < args.length) {
      unit = opt;
      amountArg = args[++i];
    } else throw new CommandError('syntax error');
  }
  let deadline;
  if (unit !== null) {
    const amount = parseInt64(amountArg);
    if (amount === null) throw new CommandError('value is not an integer or out of range');
    if (amount <= 0n || (unit === 'EX' && amount > INT64_MAX / 1000n)) throw new CommandError("invalid expire time in 'set' command");
    const ms = unit === 'EX' ? amount * 1000n : amount;
    const now = BigInt(Date.now());
    if (ms > INT64_MAX - now) throw new CommandError("invalid expire time in 'set' command");
    deadline = Number(now + ms);
  }
  const exists = lookup(k) !== undefined;
  if ((nx && exists) || (xx && !exists)) return NIL;
  data.set(k, args[2]);
  if (deadline === undefined) expires.delete(k);
  else expires.set(k, deadline);
  return simple('OK');
}

// name -> [arity (Redis convention: n exactly, -n at least), handler]
const COMMANDS = {
  PING: [-1, (a) => {
    if (a.length > 2) throw new CommandError("wrong number of arguments for 'ping' command");
    return a.length === 2 ? bulk(a[1]) : simple('PONG');
  }],
  ECHO: [2, (a) => bulk(a[1])],
  SET: [-3, set],
  GET: [2, (a) => {
    const v = lookup(a[1].toString('latin1'));
    return v === undefined ? NIL : bulk(v);
  }],
  DEL: [-2, (a) => {
    let n = 0;
    for (const key of a.slice(1)) {
      const k = key.toString('latin1');
      if (lookup(k) !== undefined) {
        data.delete(k);
        expires.delete(k);
        n++;
      }
    }
    return integer(n);
  }],
  EXISTS: [-2, (a) => integer(a.slice(1).filter((key) => lookup(key.toString('latin1')) !== undefined).length)],
  INCR: [2, (a) => {
    const k = a[1].toString('latin1');
    const v = lookup(k);
    const n = v === undefined ? 0n : parseInt64(v);
    if (n === null) throw new CommandError('value is not an integer or out of range');
    if (n === INT64_MAX) throw new CommandError('increment or decrement would overflow');
    data.set(k, Buffer.from(String(n + 1n))); // keeps the key's expiry, as Redis does
    return integer(n + 1n);
  }],
};

function execute(args) {
  const name = args[0].toString('latin1').toUpperCase();
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) {
    const shown = args.slice(1).map((a) => `'${a.subarray(0, 128).toString()}' `).join('');
    return error(`unknown command '${args[0].subarray(0, 128).toString()}', with args beginning with: ${shown}`);
  }
  const [arity, handler] = spec;
  if ((arity >= 0 && args.length !== arity) || args.length < -arity) {
    return error(`wrong number of arguments for '${name.toLowerCase()}' command`);
  }
  try {
    return handler(args);
  } catch (e) {
    if (e instanceof CommandError) return error(e.message);
    throw e;
  }
}

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const port = i >= 0 ? Number(argv[i + 1]) : NaN;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node server.js --port PORT');
    process.exit(2);
  }
  return port;
}

const server = net.createServer((socket) => {
  let buf = Buffer.alloc(0);
  let closing = false; // after a protocol error: reply, close, ignore whatever else arrives
  // (no socket.on('error', ...) here: that is the bug)
  socket.on('data', (chunk) => {
    if (closing) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const replies = [];
    let pos = 0;
    try {
      for (;;) {
        if (pos >= buf.length) break;
        const step = parseOne(buf, pos);
        if (!step) break;
        pos = step.next;
        if (step.args.length) replies.push(execute(step.args));
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      replies.push(error(e.message)); // answer what came before, then the error, then close
      closing = true;
      socket.end(Buffer.concat(replies));
      return;
    }
    buf = buf.subarray(pos);
    if (replies.length) socket.write(Buffer.concat(replies));
  });
});

const port = parsePort(process.argv.slice(2));
server.listen(port, '127.0.0.1', 511, () => console.error(`listening on 127.0.0.1:${port}`));
