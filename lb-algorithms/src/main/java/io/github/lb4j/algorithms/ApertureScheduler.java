package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Finagle's deterministic aperture (finagle-core loadbalancer/aperture: DeterministicAperture,
 * WeightedAperture, ProcessCoordinate, WeightedP2CPick; "Deterministic Aperture: A distributed,
 * load balancing algorithm", Twitter Engineering, 2019): each of a fleet of clients talks to a
 * contiguous slice of the backends instead of all of them, and the slices are laid out so that
 * every backend gets the same load.
 *
 *  - The backends sit on a ring of circumference 1, each owning an arc of length weight / sum of
 *    weights, in an order every client computes alike: by a hash of the backend id with a fixed
 *    key, independent of this instance's seed and of the update order (Finagle relies on every
 *    client receiving the same serverset order and checks it with vector_hash).
 *  - The client's coordinate is offset = instance-index / instance-count on a second ring of the
 *    clients (ProcessCoordinate.FromInstanceId). Its slice starts at the offset and is
 *    ceil(a * m / n) / m wide, capped at 1, for m clients, n backends and a logical aperture
 *    a = min(min-aperture, n) (DeterministicAperture.dApertureWidth): the smallest whole number
 *    of client widths that covers a backends, so the m slices cover the backend ring evenly,
 *    each point by the same number of clients.
 *  - Backends wholly inside the slice weigh their arc, the two at the edges only the part inside
 *    (WeightedAperture.adjustWeights); the client picks by power of two choices among them
 *    (WeightedP2CPick): two distinct draws in proportion to those weights, the smaller
 *    outstanding work (requests in flight plus active sessions) per weight wins, the first drawn
 *    on ties.
 *
 * With 100 clients and 100 equal backends every client connects to 12 backends (1,200
 * connections instead of plain P2C's 10,000) and every backend to 12 clients; ApertureTest
 * simulates it. Options: instance-index (default 0), instance-count (default 1), min-aperture
 * (default 12, Finagle's MinDeterministicAperture). Select O(1); update O(n log n) (the sort).
 */
final class ApertureScheduler extends AbstractScheduler<ApertureScheduler.Slice> {

  /** Finagle's minimum deterministic aperture. */
  static final int DEFAULT_MIN_APERTURE = 12;

  /** The key of the ring order: fixed, so that every client orders the backends alike. */
  private static final long RING_KEY = 0x4150_4552_5455_5245L;

  private static final int INDEX_BITS = 20;
  private static final int REDRAWS = 4;

  /** The backends of this client's slice. Immutable. */
  static final class Slice {
    /** Pool indexes of the backends in the slice, in ring order. */
    final int[] members;
    /** The length of each member's arc inside the slice. */
    final double[] weights;
    final AliasTable alias;
    final double offset;
    final double width;

    Slice(int[] members, double[] weights, AliasTable alias, double offset, double width) {
      this.members = members;
      this.weights = weights;
      this.alias = alias;
      this.offset = offset;
      this.width = width;
    }
  }

  private final int instanceIndex;
  private final int instanceCount;
  private final int minAperture;

  ApertureScheduler(SchedulerConfig config, Options options) {
    super("aperture", config, SlowStart.THINNING);
    this.instanceCount = options.integer("instance-count", 1, 1, Integer.MAX_VALUE);
    this.instanceIndex = options.integer("instance-index", 0, 0, Integer.MAX_VALUE);
    if (instanceIndex >= instanceCount) {
      throw options.bad("instance-index", Integer.toString(instanceIndex), "must be below instance-count=" + instanceCount
          + " (instances are numbered 0 to count - 1)");
    }
    this.minAperture = options.integer("min-aperture", DEFAULT_MIN_APERTURE, 1, Integer.MAX_VALUE);
  }

  /** Finagle's dApertureWidth: ceil(a * m / n) client widths, at most the whole ring. */
  static double width(int logicalAperture, int clients, int backends) {
    long units = ((long) logicalAperture * clients + backends - 1) / backends;
    return Math.min(1.0, (double) units / clients);
  }

  @Override
  Slice build(Backend[] backends, int[] weights) {
    int n = backends.length;
    if (n > 1 << INDEX_BITS) {
      throw new IllegalArgumentException("aperture supports at most " + (1 << INDEX_BITS) + " backends, was " + n);
    }
    long[] order = new long[n];
    long sum = 0;
    for (int i = 0; i < n; i++) {
      order[i] = (Hashing.ofId(backends[i].id(), RING_KEY) & -(1L << INDEX_BITS)) | i;
      sum += weights[i];
    }
    java.util.Arrays.sort(order);
    work.sort(n);
    double offset = (double) instanceIndex / instanceCount;
    double width = width(Math.min(minAperture, n), instanceCount, n);
    double end = offset + width;
    // Walk the ring once (twice around when the slice wraps past 1) and keep each arc's overlap.
    double[] overlap = new double[n];
    double position = 0;
    double epsilon = 1e-12 / n;
    for (int lap = 0; lap < 2 && position < end; lap++) {
      for (int k = 0; k < n && position < end; k++) {
        int i = (int) (order[k] & ((1 << INDEX_BITS) - 1));
        double arc = (double) weights[i] / sum;
        double from = Math.max(position, offset);
        double to = Math.min(position + arc, end);
        if (to - from > epsilon) {
          overlap[k] += to - from;
        }
        position += arc;
      }
    }
    work.add(2L * n);
    int size = 0;
    for (double o : overlap) {
      size += o > 0 ? 1 : 0;
    }
    int[] members = new int[size];
    double[] memberWeights = new double[size];
    int[] scaled = new int[size];
    int j = 0;
    for (int k = 0; k < n; k++) {
      if (overlap[k] > 0) {
        members[j] = (int) (order[k] & ((1 << INDEX_BITS) - 1));
        memberWeights[j] = overlap[k];
        scaled[j] = (int) Math.max(1, Math.round(overlap[k] / width * (1 << 30)));
        j++;
      }
    }
    return new Slice(members, memberWeights, new AliasTable(scaled), offset, width);
  }

  @Override
  int choose(Pool<Slice> pool, FlowKey flow, long now, boolean ramping) {
    Slice slice = pool.table;
    int[] members = slice.members;
    if (members.length == 1) {
      return members[0];
    }
    int a = slice.alias.draw(nextRandom());
    int b = slice.alias.draw(nextRandom());
    for (int r = 0; r < REDRAWS && b == a; r++) {
      b = slice.alias.draw(nextRandom());
    }
    if (b == a) {
      b = a + 1 == members.length ? 0 : a + 1;
    }
    BackendLoad la = pool.loads[members[a]];
    BackendLoad lb = pool.loads[members[b]];
    double wa = slice.weights[a];
    double wb = slice.weights[b];
    long loadA = la.pending() + la.active();
    long loadB = lb.pending() + lb.active();
    // WeightedP2CPick: weights that are nearly equal are ignored, so rounding does not tip ties.
    boolean pickA = Math.abs(wa - wb) < 1e-4 * Math.max(wa, wb) ? loadA <= loadB : loadA / wa <= loadB / wb;
    return pickA ? members[a] : members[b];
  }
}
