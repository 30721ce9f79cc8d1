// Which phase of `npm test` this vitest run is (package.json "test"), so no timing check shares
// the two cores with grades that would starve it. SOCKGRADE_HEAVY:
//   skip    — the light assignments' grades and the unit tests (SOCKGRADE_PHASE=light), or the
//             tests that load the machine on purpose, the batch tests among them (=load);
//   alone   — peers assignments graded one at a time (gossip-peer: 25-peer clusters judged on
//             convergence bounds), alone on the machine;
//   overlap — assignments whose grades may overlap (bittorrent-peer: a few small processes
//             waiting on capped links and stall rules; tftp-server: long grades of one server
//             whose timing checks only bound from below), never beside the clusters above;
//   unset   — everything (a developer's `npx vitest run`).
const mode = process.env.SOCKGRADE_HEAVY;
if (mode !== undefined && !['skip', 'alone', 'overlap'].includes(mode)) throw new Error(`SOCKGRADE_HEAVY must be skip, alone or overlap, not "${mode}"`);

export const heavyPhase = mode as 'skip' | 'alone' | 'overlap' | undefined;
/** Light suites (unit tests, light assignments, real clients of light assignments). */
export const lightRuns = mode === undefined || mode === 'skip';
/**
 * The batch tests (a class graded in parallel, hostile neighbours among them) load the machine:
 * they run in the load phase (vitest.config.ts LOAD), never beside gossip-peer's clusters (a
 * flooding gossip scenario missed a convergence bound beside them, twice).
 */
export const batchRuns = mode === undefined || mode === 'skip';
