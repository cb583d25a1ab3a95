package io.github.lb4j.pool;

import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.MutableFlowKey;

/**
 * Presents a 64-bit request key (a user id, a header hash: what HAProxy's {@code balance hash
 * <expr>} and Armeria's sticky selection hash on) to a {@link io.github.lb4j.api.Scheduler} as a
 * flow: protocol 0 from {@code [2001:db8:0:0:<key>]} port 0 to the same address, port 0. Every
 * hash-key option of the hashing schedulers (five-tuple, four-tuple, three-tuple, source address,
 * destination for locality) then hashes the key, with the scheduler's seed, so equal keys stick to
 * one backend and pools with the same seed agree.
 *
 * <p>The flow is the calling thread's reusable key ({@link Stripes.Local}), valid until the
 * thread's next call here. Any thread; never allocates; never blocks.
 */
final class RequestKeys {

  /** The high half of the address: the documentation prefix, so the flow can never be a real one. */
  static final long PREFIX = 0x2001_0DB8_0000_0000L;

  private RequestKeys() {}

  static FlowKey flow(MutableFlowKey scratch, long key) {
    return scratch.setV6(0, PREFIX, key, 0, PREFIX, key, 0);
  }

  /**
   * The key of retry attempt {@code attempt} (1, 2, ...): Envoy's Maglev mutation on retries
   * ({@code hash ^= ~0ULL - attempt + 1}, source/extensions/load_balancing_policies/maglev/maglev_lb.cc),
   * which flips most bits so that successive attempts land far apart.
   */
  static long attempt(long key, int attempt) {
    return key ^ -(long) attempt;
  }
}
