package io.github.lb4j.grpc;

import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The picker of a policy with at least one serving backend: each pick is one {@link
 * BackendPool} lease, completed by the stream's tracer ({@link LeaseTracer}). The pool is live (its
 * scheduler sees every health, ejection and drain change at once); the table from backend ids to
 * subchannels is this picker's immutable snapshot, replaced with the picker when the membership
 * changes.
 *
 * <p>Request key: the configured header's value hashed to 64 bits, so that hashing schedulers
 * ({@code maglev}, {@code ring-hash}, ...) send equal values to one backend; without the header a
 * random key. Retries: with {@link Lb4jGrpc#retryExclusion()} installed, an attempt never goes to a
 * backend an earlier attempt of the call used while another serves, and counts in the retry budget.
 * Refusals: the pool's circuit breaker and retry budget drop the attempt (no further retry, as
 * gRPC's xDS circuit breaking does); no serving backend or every backend at its limit fails it with
 * {@code UNAVAILABLE}.
 *
 * <p>Any thread, as gRPC requires of pickers. A pick allocates the pick result, the tracer factory
 * and its watch; it takes no lock and never blocks.
 */
final class PoolPicker extends SubchannelPicker {

  private static final Status NO_BACKEND = Status.UNAVAILABLE.withDescription(
      "lb4j: no backend is serving (all down, ejected, drained or not connected)");
  private static final Status LIMIT = Status.UNAVAILABLE.withDescription(
      "lb4j: every serving backend is at maxRequestsPerBackend");
  private static final Status CIRCUIT_OPEN = Status.UNAVAILABLE.withDescription(
      "lb4j: circuit breaker open: maxRequests requests in flight");
  private static final Status BUDGET = Status.UNAVAILABLE.withDescription(
      "lb4j: retry refused: the retry budget is spent");
  private static final Status CLOSED = Status.UNAVAILABLE.withDescription("lb4j: the policy was shut down");

  private final BackendPool pool;
  private final Map<String, Endpoint> endpoints;
  private final Metadata.@Nullable Key<String> keyHeader;
  private final Set<Status.Code> failures;
  private final UnusedLeases unused;

  PoolPicker(BackendPool pool, Map<String, Endpoint> endpoints, Metadata.@Nullable Key<String> keyHeader,
      Set<Status.Code> failures, UnusedLeases unused) {
    this.pool = pool;
    this.endpoints = Map.copyOf(endpoints);
    this.keyHeader = keyHeader;
    this.failures = failures;
    this.unused = unused;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    unused.poll();
    long key = requestKey(args.getHeaders());
    TriedBackends tried = args.getCallOptions().getOption(Lb4jGrpc.TRIED);
    Lease lease = tried == null || tried.isEmpty() ? pool.pick(key) : pool.pick(key, tried.backends());
    if (!lease.isGranted() && lease.status() == io.github.lb4j.pool.PickStatus.ALL_EXCLUDED) {
      // Every serving backend had an attempt already: better a backend tried than no answer.
      lease = pool.pick(key);
    }
    switch (lease.status()) {
      case OK -> {
        Endpoint e = endpoints.get(lease.backendId());
        if (e == null || !e.ready) {
          // The pool knows of a change this picker's table does not show yet; the picker that
          // shows it is on its way, and gRPC retries buffered picks with it.
          lease.complete(Outcome.CANCELLED, 0);
          return PickResult.withNoResult();
        }
        if (tried != null) {
          tried.add(lease.backend());
        }
        return PickResult.withSubchannel(e.subchannel, new LeaseTracer.Factory(lease, pool.clock(), failures, unused));
      }
      case NO_BACKEND, ALL_EXCLUDED -> {
        return PickResult.withError(NO_BACKEND);
      }
      case LIMIT -> {
        return PickResult.withError(LIMIT);
      }
      case CIRCUIT_OPEN -> {
        return PickResult.withDrop(CIRCUIT_OPEN);
      }
      case BUDGET -> {
        return PickResult.withDrop(BUDGET);
      }
      default -> {
        return PickResult.withError(CLOSED);
      }
    }
  }

  private long requestKey(Metadata headers) {
    Metadata.Key<String> k = keyHeader;
    String value = k == null ? null : headers.get(k);
    return value == null ? ThreadLocalRandom.current().nextLong() : hash(value);
  }

  /**
   * FNV-1a over the UTF-16 units, then MurmurHash3's 64-bit finalizer so that values differing in
   * one character differ in about half the bits. The scheduler hashes the result again with its
   * seed, so this only has to keep distinct values distinct.
   */
  static long hash(String value) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < value.length(); i++) {
      h ^= value.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public String toString() {
    return "PoolPicker{" + pool + ", " + endpoints.keySet() + "}";
  }
}
