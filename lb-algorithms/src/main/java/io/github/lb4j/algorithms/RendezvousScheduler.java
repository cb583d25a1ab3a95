package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Rendezvous, highest random weight hashing (D. G. Thaler and C. V. Ravishankar, "Using Name-Based
 * Mappings to Increase Hit Rates", IEEE/ACM ToN 6(1), 1998): every backend scores the flow with a
 * hash of (flow, backend id) and the highest score wins, so removing a backend moves only its own
 * flows. Weighted with the logarithmic method (J. Resch, "New Hashing Algorithms for Data Storage",
 * 2015; C. Schindelhauer and G. Schomaker, 2005): score = -weight / ln(u) for the hash mapped to u
 * in (0, 1), which gives each backend a share of flows proportional to its weight. With equal
 * weights the logarithm is skipped (u orders the same).
 *
 * Scoring every backend is the algorithm: select is O(n), unlike the other hashes; for large sets
 * use maglev. Option hash-key (default five-tuple).
 */
final class RendezvousScheduler extends AbstractScheduler<RendezvousScheduler.Ids> {

  /** The backends' id hashes and whether all weights are equal. Immutable. */
  static final class Ids {
    final long[] hashes;
    final boolean equalWeights;

    Ids(long[] hashes, boolean equalWeights) {
      this.hashes = hashes;
      this.equalWeights = equalWeights;
    }
  }

  private final HashKey key;

  RendezvousScheduler(SchedulerConfig config, Options options) {
    super("rendezvous", config, SlowStart.NONE);
    this.key = options.hashKey("hash-key", HashKey.FIVE_TUPLE);
  }

  @Override
  Ids build(Backend[] backends, int[] weights) {
    long[] hashes = new long[backends.length];
    boolean equal = true;
    for (int i = 0; i < backends.length; i++) {
      hashes[i] = Hashing.ofId(backends[i].id(), seed);
      equal &= weights[i] == weights[0];
    }
    work.add(backends.length);
    return new Ids(hashes, equal);
  }

  @Override
  int choose(Pool<Ids> pool, FlowKey flow, long now, boolean ramping) {
    long h = key.hash(flow, seed);
    long[] ids = pool.table.hashes;
    int best = 0;
    if (pool.table.equalWeights) {
      long bestScore = FlowHash.mix64(h ^ ids[0]) ^ Long.MIN_VALUE;
      for (int i = 1; i < ids.length; i++) {
        long score = FlowHash.mix64(h ^ ids[i]) ^ Long.MIN_VALUE;
        if (score > bestScore) {
          best = i;
          bestScore = score;
        }
      }
      return best;
    }
    int[] weights = pool.weights;
    double bestScore = score(h, ids[0], weights[0]);
    for (int i = 1; i < ids.length; i++) {
      double score = score(h, ids[i], weights[i]);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  private static double score(long flowHash, long idHash, int weight) {
    return -weight / Math.log(Hashing.unitOpen(FlowHash.mix64(flowHash ^ idHash)));
  }
}
