// Is the program still healthy? A fresh connection and the protocol's cheapest request (the
// assignment's "liveness"): any reply in time means alive. Refused, closed without a word,
// silent (tried twice, so one slow moment on a loaded machine is not a hang), or stopped by a
// signal means it must be restarted before the next test. The probe never reaches a test's
// transcript: it is the grader's own check, not part of what the student is graded on.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Liveness } from '../assignment/definition.js';
import type { RunningProcess } from './process.js';
import type { Transport } from './readiness.js';
import { processesOfRun } from './procfs.js';

export type Health =
  | { healthy: true; ms: number }
  | { healthy: false; reason: 'exited' | 'unresponsive' | 'stopped'; detail: string };

type Attempt = { ok: true; ms: number } | { ok: false; why: string };

/**
 * One try: `open` starts it and reports through `done` (once; later calls are ignored); a reply
 * in time is `ok`, the deadline or an abort ends it; `close` releases the socket either way.
 */
function tryOnce(l: Liveness, signal: AbortSignal | undefined, open: (done: (a: Attempt) => void, since: number) => { close: () => void }): Promise<Attempt> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let close = () => {};
    const done = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      close();
      resolve(a);
    };
    const onAbort = () => done({ ok: true, ms: 0 });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => done({ ok: false, why: `it gave no reply to ${l.name} within ${l.timeoutMs} ms` }), l.timeoutMs);
    ({ close } = open(done, t0));
    if (settled) close();
  });
}

function attempt(port: number, l: Liveness, signal?: AbortSignal): Promise<Attempt> {
  return tryOnce(l, signal, (done, t0) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      if (!l.send) return done({ ok: true, ms: performance.now() - t0 });
      s.write(l.send);
    });
    s.on('data', () => done({ ok: true, ms: performance.now() - t0 }));
    s.once('end', () => done({ ok: false, why: `it closed the connection without answering ${l.name}` }));
    s.once('error', (e: NodeJS.ErrnoException) =>
      done({ ok: false, why: e.code === 'ECONNREFUSED' ? 'it refused new connections' : e.code === 'ECONNRESET' ? `it reset the connection instead of answering ${l.name}` : `connecting to it failed (${e.code ?? e.message})` }),
    );
    return { close: () => s.destroy() };
  });
}

/** A UDP server: the request as one datagram from a fresh socket; any datagram back in time means alive. */
function attemptUdp(port: number, l: Liveness & { send: string }, signal?: AbortSignal): Promise<Attempt> {
  return tryOnce(l, signal, (done, t0) => {
    const s = dgram.createSocket('udp4');
    s.once('message', () => done({ ok: true, ms: performance.now() - t0 }));
    s.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, why: `sending it ${l.name} failed (${e.code ?? e.message})` }));
    let closed = false;
    s.bind(0, '127.0.0.1', () => closed || s.send(Buffer.from(l.send), port, '127.0.0.1'));
    return {
      close: () => {
        closed = true;
        s.close();
      },
    };
  });
}

function attemptOver(transport: Transport, port: number, l: Liveness, signal?: AbortSignal): Promise<Attempt> {
  return transport === 'udp' && l.send ? attemptUdp(port, { ...l, send: l.send }, signal) : attempt(port, l, signal);
}

/** Does a just-started program answer the liveness request at all (one try)? */
export async function answersOnce(port: number, l: Liveness, transport: Transport = 'tcp'): Promise<boolean> {
  return (await attemptOver(transport, port, l)).ok;
}

/** Processes of the run stopped by a signal (SIGSTOP, SIGTSTP): they answer nothing, ever. */
function stopped(proc: RunningProcess): boolean {
  return (processesOfRun(proc.marker, proc.pid) ?? []).some((p) => p.state === 'T' || p.state === 't');
}

export async function probeHealth(proc: RunningProcess, port: number, l: Liveness, signal?: AbortSignal, transport: Transport = 'tcp'): Promise<Health> {
  let why = '';
  for (let i = 0; i < 2; i++) {
    if (!proc.running) return { healthy: false, reason: 'exited', detail: `it ${proc.describeEnd()}` };
    const a = await attemptOver(transport, port, l, signal);
    if (a.ok) return { healthy: true, ms: a.ms };
    // A program that is dying (a Python traceback takes a while on a loaded machine, and the
    // probe's own connection may be what set the crash off) is dead, not silent: wait until it
    // has exited or is plainly idle, so its exit is charged to the test it followed.
    await proc.settle(1000);
    if (!proc.running) return { healthy: false, reason: 'exited', detail: `it ${proc.describeEnd()}` };
    if (stopped(proc)) return { healthy: false, reason: 'stopped', detail: 'it was stopped by a signal (SIGSTOP) and answers nothing' };
    why = a.why;
    // Refused or closed is a fact, not a slow moment: no second try needed.
    if (!a.why.startsWith('it gave no reply')) break;
  }
  return { healthy: false, reason: 'unresponsive', detail: why === `it gave no reply to ${l.name} within ${l.timeoutMs} ms` ? `${why}, twice` : why };
}
