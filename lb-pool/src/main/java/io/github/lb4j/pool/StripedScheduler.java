package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The pool's scheduler: one instance per stripe for the algorithms whose select writes shared state
 * (a round-robin turn, a random stream), one shared instance for the others, behind the one {@link
 * Scheduler} interface.
 *
 * <p>A round-robin turn or a random stream shared by every thread is one cache line that every
 * select writes; two threads then spend their time moving it between cores. Envoy gives each worker
 * thread its own load balancer for the same reason (through its thread-local cluster manager) and
 * shares only the immutable tables of the hashing ones (source/common/upstream/thread_aware_lb_impl.h). Here stripe {@code s > 0} runs its own
 * instance with seed {@code mix64(seed + s)}; stripe 0 keeps the configured seed. Every instance
 * gets the same updates and shares the same {@link SessionCounters}, so load-aware algorithms see
 * the same live load. Hashing algorithms, connection counting and anything with persistence or a
 * shared table (locality-least-connections) stay one shared instance: their choice must not depend
 * on the calling thread.
 *
 * <p>{@link #select} is the data plane: any thread, allocation-free, non-blocking, as the instance's.
 * {@link #apply} is the control plane: the pool's control context only; {@link #update} is refused.
 */
final class StripedScheduler implements Scheduler {

  /** The algorithms of lb-algorithms whose select advances a turn or a random stream. */
  static final Set<String> STRIPED = Set.of("round-robin", "weighted-round-robin", "smooth-weighted-round-robin",
      "random", "weighted-random", "power-of-two-choices", "peak-ewma");

  /**
   * The algorithms whose choice is a function of the flow or key: a pool's routes then derive
   * their priority and zone draws from the key too, so equal keys stay together.
   */
  static final Set<String> HASHING = Set.of("source-hash", "four-tuple-hash", "maglev", "ring-hash", "jump",
      "rendezvous", "locality-least-connections");

  private final Scheduler[] byStripe;
  private final Scheduler[] distinct;
  private final int mask;

  private StripedScheduler(Scheduler[] byStripe, Scheduler[] distinct) {
    this.byStripe = byStripe;
    this.distinct = distinct;
    this.mask = byStripe.length - 1;
  }

  /** Creates the instances; {@code stripes} is a power of two. */
  static StripedScheduler create(String name, SchedulerConfig config, int stripes) {
    return create(name, config, stripes, Schedulers::create);
  }

  /** Creates the instances with a factory of the algorithm's instances; {@code stripes} is a power of two. */
  static StripedScheduler create(String name, SchedulerConfig config, int stripes,
      java.util.function.BiFunction<String, SchedulerConfig, ? extends Scheduler> factory) {
    Scheduler first = factory.apply(name, config);
    Scheduler[] byStripe = new Scheduler[stripes];
    boolean striped = stripes > 1 && STRIPED.contains(name) && config.persistence().isZero();
    if (!striped) {
      java.util.Arrays.fill(byStripe, first);
      return new StripedScheduler(byStripe, new Scheduler[] {first});
    }
    byStripe[0] = first;
    for (int s = 1; s < stripes; s++) {
      // With an explicit seed every stripe derives its own from it (reproducible); without one each
      // stripe's scheduler draws its own random seed, as any default instance does.
      SchedulerConfig stripeConfig = config.seed().isPresent()
          ? config.toBuilder().seed(FlowHash.mix64(config.seed().getAsLong() + s)).build()
          : config;
      byStripe[s] = factory.apply(name, stripeConfig);
    }
    return new StripedScheduler(byStripe, byStripe.clone());
  }

  /** The instance of a stripe, for the pool's own picks (which know their stripe). */
  Scheduler forStripe(int stripe) {
    return byStripe[stripe];
  }

  /** Every distinct instance (one when the algorithm is shared). */
  Scheduler[] all() {
    return distinct.clone();
  }

  /** How many instances there are: 1 when the algorithm is shared. */
  int instances() {
    return distinct.length;
  }

  @Override
  public String name() {
    return distinct[0].name();
  }

  @Override
  public @Nullable Backend select(FlowKey flow) {
    return byStripe[Stripes.current(mask)].select(flow);
  }

  /**
   * Refused: the pool owns the membership, and an update from outside would be undone at its next
   * change. Push backends through the pool's {@link MembershipSource} instead.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public void update(List<Backend> eligible, List<Backend> ineligible) {
    throw new UnsupportedOperationException("the pool owns the membership: push backends through its MembershipSource");
  }

  /** Publishes a membership to every instance. The pool's control context only. */
  void apply(List<Backend> eligible, List<Backend> ineligible) {
    for (Scheduler s : distinct) {
      s.update(eligible, ineligible);
    }
  }

  @Override
  public List<Backend> backends() {
    return distinct[0].backends();
  }

  @Override
  public SessionCounters sessions() {
    return distinct[0].sessions();
  }

  @Override
  public String toString() {
    return distinct[0] + (distinct.length > 1 ? " x" + distinct.length + " stripes" : "");
  }
}
