package io.github.lb4j.algorithms;

import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.spi.SchedulerProvider;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The service providers through which {@link io.github.lb4j.api.Schedulers} finds every lb4j
 * scheduler by name (registered in {@code module-info.java} and in {@code META-INF/services}); the
 * schedulers themselves stay package-private.
 *
 * <p>Providers are stateless and thread-safe; {@link SchedulerProvider#create} allocates the
 * scheduler, validates its options and never blocks.
 */
public final class Providers {

  private Providers() {}

  /**
   * A provider of one named algorithm: stateless and thread-safe; {@link #create} allocates and
   * never blocks.
   */
  public abstract static class Registered implements SchedulerProvider {

    private final String name;
    private final String description;
    private final BiFunction<SchedulerConfig, Options, Scheduler> factory;

    Registered(String name, String description, BiFunction<SchedulerConfig, Options, Scheduler> factory) {
      this.name = name;
      this.description = description;
      this.factory = factory;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final String description() {
      return description;
    }

    @Override
    public final Scheduler create(SchedulerConfig config) {
      Options options = new Options(name, Objects.requireNonNull(config, "config"));
      Scheduler scheduler = factory.apply(config, options);
      options.finish();
      return scheduler;
    }
  }

  /** Registers {@code round-robin}: Each backend in turn from a seeded start, one counter kept across updates (seed S3.1; gRPC round_robin). */
  public static final class RoundRobin extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public RoundRobin() {
      super("round-robin", "Each backend in turn from a seeded start, one counter kept across updates (seed S3.1; gRPC round_robin)", (c, o) -> new RoundRobinScheduler(c, o));
    }
  }

  /** Registers {@code weighted-round-robin}: Interleaved weighted round robin with gcd stepping, 4,3,2 -&gt; A A B A B C A B C (IPVS ip_vs_wrr.c). */
  public static final class WeightedRoundRobin extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public WeightedRoundRobin() {
      super("weighted-round-robin", "Interleaved weighted round robin with gcd stepping, 4,3,2 -> A A B A B C A B C (IPVS ip_vs_wrr.c)", (c, o) -> new WeightedRoundRobinScheduler(c, o));
    }
  }

  /** Registers {@code smooth-weighted-round-robin}: Smooth weighted round robin, 5,1,1 -&gt; a a b a c a a (nginx upstream round robin). */
  public static final class SmoothWeightedRoundRobin extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public SmoothWeightedRoundRobin() {
      super("smooth-weighted-round-robin", "Smooth weighted round robin, 5,1,1 -> a a b a c a a (nginx upstream round robin)", (c, o) -> new SmoothWeightedRoundRobinScheduler(c, o));
    }
  }

  /** Registers {@code least-connections}: Fewest sessions, active*256+inactive, from the session table (seed S3.2; IPVS ip_vs_lc.c). */
  public static final class LeastConnections extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public LeastConnections() {
      super("least-connections", "Fewest sessions, active*256+inactive, from the session table (seed S3.2; IPVS ip_vs_lc.c)", (c, o) -> new LeastConnectionsScheduler(LeastConnectionsScheduler.Formula.LC, c, o));
    }
  }

  /** Registers {@code weighted-least-connections}: Least (active*256+inactive)/weight without division (IPVS ip_vs_wlc.c). */
  public static final class WeightedLeastConnections extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public WeightedLeastConnections() {
      super("weighted-least-connections", "Least (active*256+inactive)/weight without division (IPVS ip_vs_wlc.c)", (c, o) -> new LeastConnectionsScheduler(LeastConnectionsScheduler.Formula.WLC, c, o));
    }
  }

  /** Registers {@code shortest-expected-delay}: Least (active+1)/weight (IPVS ip_vs_sed.c). */
  public static final class ShortestExpectedDelay extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public ShortestExpectedDelay() {
      super("shortest-expected-delay", "Least (active+1)/weight (IPVS ip_vs_sed.c)", (c, o) -> new LeastConnectionsScheduler(LeastConnectionsScheduler.Formula.SED, c, o));
    }
  }

  /** Registers {@code never-queue}: An idle backend first, else shortest expected delay (IPVS ip_vs_nq.c). */
  public static final class NeverQueue extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public NeverQueue() {
      super("never-queue", "An idle backend first, else shortest expected delay (IPVS ip_vs_nq.c)", (c, o) -> new LeastConnectionsScheduler(LeastConnectionsScheduler.Formula.NQ, c, o));
    }
  }

  /** Registers {@code source-hash}: Hash of the client address into a weighted table (seed S3.3; IPVS ip_vs_sh.c, nginx ip_hash). */
  public static final class SourceHash extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public SourceHash() {
      super("source-hash", "Hash of the client address into a weighted table (seed S3.3; IPVS ip_vs_sh.c, nginx ip_hash)", (c, o) -> new SourceHashScheduler(false, c, o));
    }
  }

  /** Registers {@code four-tuple-hash}: Hash of both addresses and ports into a weighted table (seed S3.3). */
  public static final class FourTupleHash extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public FourTupleHash() {
      super("four-tuple-hash", "Hash of both addresses and ports into a weighted table (seed S3.3)", (c, o) -> new SourceHashScheduler(true, c, o));
    }
  }

  /** Registers {@code random}: Uniform random draw from a seeded SplitMix64 stream (Envoy RANDOM). */
  public static final class Random extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Random() {
      super("random", "Uniform random draw from a seeded SplitMix64 stream (Envoy RANDOM)", (c, o) -> new RandomScheduler(c, o));
    }
  }

  /** Registers {@code weighted-random}: Random draw proportional to weight through an alias table (Walker/Vose). */
  public static final class WeightedRandom extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public WeightedRandom() {
      super("weighted-random", "Random draw proportional to weight through an alias table (Walker/Vose)", (c, o) -> new WeightedRandomScheduler(c, o));
    }
  }

  /** Registers {@code power-of-two-choices}: Least loaded of d distinct weighted draws, option choices (Mitzenmacher 2001; Envoy LEAST_REQUEST). */
  public static final class PowerOfTwoChoices extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public PowerOfTwoChoices() {
      super("power-of-two-choices", "Least loaded of d distinct weighted draws, option choices (Mitzenmacher 2001; Envoy LEAST_REQUEST)", (c, o) -> new PowerOfChoicesScheduler(false, c, o));
    }
  }

  /** Registers {@code peak-ewma}: Two choices by peak-EWMA latency * (outstanding + 1) (Finagle PeakEwma). */
  public static final class PeakEwma extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public PeakEwma() {
      super("peak-ewma", "Two choices by peak-EWMA latency * (outstanding + 1) (Finagle PeakEwma)", (c, o) -> new PowerOfChoicesScheduler(true, c, o));
    }
  }

  /** Registers {@code least-request}: Envoy's weighted least request, active_request_bias and slow start. */
  public static final class LeastRequest extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public LeastRequest() {
      super("least-request", "Fewest active requests of two choices, or weight / (active + 1)^bias when weights differ (Envoy LEAST_REQUEST)", (c, o) -> new LeastRequestScheduler(c, o));
    }
  }

  /** Registers {@code weighted-round-robin-adaptive}: gRPC's weighted_round_robin (gRFC A58). */
  public static final class WeightedRoundRobinAdaptive extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public WeightedRoundRobinAdaptive() {
      super("weighted-round-robin-adaptive", "Weights from backend load reports, qps / (utilization + eps/qps x penalty), static stride picks (gRPC weighted_round_robin, gRFC A58)", (c, o) -> new AdaptiveWeightedRoundRobinScheduler(c, o));
    }
  }

  /** Registers {@code aperture}: Finagle's deterministic aperture. */
  public static final class Aperture extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Aperture() {
      super("aperture", "Power of two choices within this client's contiguous slice of the backend ring, chosen by its coordinate (Finagle deterministic aperture)", (c, o) -> new ApertureScheduler(c, o));
    }
  }

  /** Registers {@code maglev}: Maglev table, prime size, weighted, optional bounded loads (Maglev NSDI'16 section 3.4; Envoy maglev_lb). */
  public static final class Maglev extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Maglev() {
      super("maglev", "Maglev table, prime size, weighted, optional bounded loads (Maglev NSDI'16 section 3.4; Envoy maglev_lb)", (c, o) -> new MaglevScheduler(c, o));
    }
  }

  /** Registers {@code ring-hash}: Ketama ring sized by min/max ring size, weighted, optional bounded loads (Karger et al. 1997; Envoy ring_hash_lb). */
  public static final class RingHash extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public RingHash() {
      super("ring-hash", "Ketama ring sized by min/max ring size, weighted, optional bounded loads (Karger et al. 1997; Envoy ring_hash_lb)", (c, o) -> new RingHashScheduler(c, o));
    }
  }

  /** Registers {@code jump}: Jump consistent hash, bit-exact (Lamping and Veach 2014). */
  public static final class Jump extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Jump() {
      super("jump", "Jump consistent hash, bit-exact (Lamping and Veach 2014)", (c, o) -> new JumpScheduler(c, o));
    }
  }

  /** Registers {@code rendezvous}: Weighted highest-random-weight hashing, O(n) (Thaler and Ravishankar 1998). */
  public static final class Rendezvous extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Rendezvous() {
      super("rendezvous", "Weighted highest-random-weight hashing, O(n) (Thaler and Ravishankar 1998)", (c, o) -> new RendezvousScheduler(c, o));
    }
  }

  /** Registers {@code failover}: The highest-weight selectable backend, first on ties (IPVS ip_vs_fo.c; HAProxy first). */
  public static final class Failover extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Failover() {
      super("failover", "The highest-weight selectable backend, first on ties (IPVS ip_vs_fo.c; HAProxy first)", (c, o) -> new FailoverScheduler(c, o));
    }
  }

  /** Registers {@code locality-least-connections}: Same destination address, same backend unless overloaded, else wlc (IPVS ip_vs_lblc.c). */
  public static final class LocalityLeastConnections extends Registered {
    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public LocalityLeastConnections() {
      super("locality-least-connections", "Same destination address, same backend unless overloaded, else wlc (IPVS ip_vs_lblc.c)", (c, o) -> new LocalityLeastConnectionsScheduler(c, o));
    }
  }
}
