// Keeps at most one cluster between tests, so the tests of a stage can share it.
import { Cluster, clusterKey, type ClusterSpec } from './cluster.js';
import type { PeersScope, StartPeer } from './scope.js';

export class ClusterPool {
  private current: Cluster | undefined;

  /** `answers(port)`: does the peer on this port answer the liveness request (a shared cluster is handed on only if every peer does)? */
  constructor(
    private readonly startPeer: StartPeer,
    private readonly answers?: (port: number) => Promise<boolean>,
  ) {}

  async acquire(spec: ClusterSpec, t: PeersScope): Promise<Cluster> {
    const c = this.current;
    if (c && spec.shared && c.shared && c.ready && !c.tainted && c.key === clusterKey(spec) && !c.deadPeers().length) {
      // A peer that hung in the test before must not be handed on: this test would fail for it.
      const silent = this.answers ? (await Promise.all(c.runningPorts().map((p) => this.answers!(p)))).filter((ok) => !ok).length : 0;
      if (!silent) {
        c.bind(t);
        t.log(`${spec.topology.name}: the same ${c.peers.length} peers as the test before (what earlier tests left on them is still there)`);
        return c;
      }
      t.log(`${spec.topology.name}: ${silent} of the peers from the test before did not answer the grader's liveness check; fresh peers were started`);
    }
    await this.release(true);
    const fresh = await Cluster.create(spec, this.startPeer, t);
    this.current = fresh;
    try {
      await fresh.startPeers(spec);
    } catch (e) {
      fresh.tainted = true; // never hand a half-started cluster to the next test
      throw e;
    }
    return fresh;
  }

  /**
   * After a test: stop its cluster unless the next test may share it. `force` stops it anyway
   * (the end of the grade, or a test that timed out and may have left work running on it).
   */
  async release(force = false): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (!force && c.shared && c.ready && !c.tainted && !c.deadPeers().length) return;
    this.current = undefined;
    await c.close();
  }
}
