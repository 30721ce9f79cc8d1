// kv-server's hidden tests: run only in official grading (a TA's batch, the Gradescope
// bundle, validate). They are not in the npm package students install (package.json "files"
// leaves hidden.* out); official grading finds them in the course's own installation or in a
// course pack (`--pack`, SOCKGRADE_PACK). Same authoring API as tests.ts.
import { defineTests } from '../../grader/authoring.js';
import { connectResp, encodeCommand, resp, type Arg } from '../../grader/kits/resp.js';

const PONG = resp.simple('PONG');
const OK = resp.ok();
const NIL = resp.nil();

export default defineTests({
  async 'set-option-errors'(t) {
    const c = await connectResp(t);
    const [k, held] = [t.key('opt'), t.key('held')];
    await c.expect(['SET', held, 'original'], OK);
    const bad = (key: string): Arg[][] => [
      ['SET', key, 'v', 'EX', '0'],
      ['SET', key, 'v', 'PX', '-5'],
      ['SET', key, 'v', 'EX', 'abc'],
      ['SET', key, 'v', 'EX', '1.5'],
      ['SET', key, 'v', 'EX'],
      ['SET', key, 'v', 'NX', 'XX'],
      ['SET', key, 'v', 'EX', '10', 'PX', '10000'],
      ['SET', key, 'v', 'BOGUS'],
    ];
    for (const args of [...bad(k), ...bad(held)])
      await c.expect(args, 'error', {
        hint: 'Invalid SET options (a time that is not a positive integer, a missing time, NX with XX, EX with PX, an unknown word) get an error reply, and the key is left untouched. Check every option before storing anything.',
      });
    await c.expect(['GET', k], NIL, { hint: 'A SET that was answered with an error must not have stored anything.' });
    await c.expect(['GET', held], resp.bulk('original'), { hint: 'A SET that was answered with an error must leave the key as it was.', formatJudgedBy: 'set-get' });
    await c.expect(['PING'], PONG);
  },

  async 'half-close'(t) {
    const c = await connectResp(t);
    // The command and the FIN together: a server that drops what it has not flushed at the end
    // of input is caught however loaded the machine is.
    c.client.end(encodeCommand(['PING']));
    const what = 'PING and then shut down its sending side (FIN)';
    c.check(what, PONG, await c.reply(what, PONG, { hint: 'A client may shut down its sending side right after its last command: an end of input (recv() returning 0) means "no more commands", not "drop the replies". Reply to what arrived, then close.' }));
    if ((await c.client.waitClosed(1000)) === 'timeout')
      t.fail(`${c.name}: sent PING and then shut down its sending side (FIN); received +PONG, but the connection was still open 1000 ms later.`, {
        hint: 'An end of input (recv() returning 0) means the client is done: reply to what arrived, then close the connection. Left open, every such client costs a socket forever (and a loop that keeps calling recv() after it returned 0 spins at 100% CPU).',
      });
  },
});
