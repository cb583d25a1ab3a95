package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A scheduler that also remembers where the membership before the last change sent each flow: the
 * "previous owner" of GitHub GLB's second chance (GLB Director, "GLB: GitHub's open source load
 * balancer", 2018: each forwarding-table row holds a primary and a secondary server) and of
 * Cloudflare Unimog's daisy chaining (2020), with the previous table standing in for the
 * secondary. Two instances of one algorithm with one configuration (the same seed and session
 * counters) are kept: the current one, which every call of {@link Scheduler} reaches, and the
 * previous one, which {@link #previous} asks.
 *
 * <p>A DSR translator given this scheduler forwards a mid-stream packet of a flow it has no state
 * for to the current owner, tagged with the previous owner when the two differ (see {@link
 * SecondChance}); the current owner's kernel delivers it when it holds the flow's socket and
 * passes it on to the previous owner otherwise. Only a hashing algorithm (maglev, ring-hash,
 * rendezvous, jump, source-hash) gives every balancer the same owners; the load-aware ones do
 * not, and this wrapper adds nothing to them.
 *
 * <p>Only a change of the eligible list (its backends, order, weights; not their MACs) moves the
 * current membership to the previous slot, and only when the current one had an eligible backend:
 * a neighbour refresh, a change among the ineligible backends or a spell with no backend up keeps
 * the previous owners. Until the first change there is no previous owner.
 *
 * <p>Threads as {@link Scheduler}: {@link #select} and {@link #previous} from any thread, never
 * allocating, never blocking; {@link #update} from one control thread at a time (it allocates).
 */
public final class SecondChanceScheduler implements Scheduler {

  private final Scheduler current;
  private final Scheduler previous;
  private List<Backend> eligible = List.of();
  private List<Backend> ineligible = List.of();
  private volatile boolean hasPrevious;

  private SecondChanceScheduler(Scheduler current, Scheduler previous) {
    this.current = current;
    this.previous = previous;
  }

  /**
   * Creates the pair by registry name.
   *
   * @param algorithm a registry name, for example {@code "maglev"}
   * @param config the configuration of both; give it a seed so that every balancer computes the same owners
   * @return the scheduler
   * @throws IllegalArgumentException for an unknown name or an invalid option, as {@link Schedulers#create}
   */
  public static SecondChanceScheduler create(String algorithm, SchedulerConfig config) {
    Objects.requireNonNull(config, "config");
    return new SecondChanceScheduler(Schedulers.create(algorithm, config), Schedulers.create(algorithm, config));
  }

  @Override
  public String name() {
    return current.name();
  }

  @Override
  public @Nullable Backend select(FlowKey flow) {
    return current.select(flow);
  }

  /**
   * Chooses the backend the membership before the last change would have chosen for a flow.
   * Thread-safe, allocation-free, non-blocking.
   *
   * @param flow the flow
   * @return that backend, or {@code null} before the first change or when it had none
   */
  public @Nullable Backend previous(FlowKey flow) {
    return hasPrevious ? previous.select(flow) : null;
  }

  @Override
  public void update(List<Backend> eligible, List<Backend> ineligible) {
    List<Backend> e = List.copyOf(eligible);
    List<Backend> i = List.copyOf(ineligible);
    current.update(e, i);
    // the owners are the eligible set's: a change of MACs or of the ineligible list moves no flow,
    // and an empty set owns none, so neither replaces the previous owners
    if (!sameOwners(e, this.eligible) && !this.eligible.isEmpty()) {
      previous.update(this.eligible, this.ineligible);
      hasPrevious = true;
    }
    this.eligible = e;
    this.ineligible = i;
  }

  /** Whether two memberships choose alike: same backends in the same order, MACs aside. */
  private static boolean sameOwners(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int k = 0; k < a.size(); k++) {
      Backend x = a.get(k);
      Backend y = b.get(k);
      if (!x.id().equals(y.id()) || !x.address().equals(y.address()) || x.port() != y.port() || x.weight() != y.weight()
          || x.priority() != y.priority() || !Objects.equals(x.zone(), y.zone()) || !x.labels().equals(y.labels())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<Backend> backends() {
    return current.backends();
  }

  @Override
  public SessionCounters sessions() {
    return current.sessions();
  }

  @Override
  public String toString() {
    return "second-chance " + current;
  }
}
