package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Finagle's deterministic aperture, and a fleet of 100 clients against 100 backends. */
class ApertureTest {

  private static Scheduler client(String algorithm, int index, int count, SessionCounters counters) {
    SchedulerConfig.Builder config = SchedulerConfig.builder().sessions(counters).seed(1000 + index);
    if (algorithm.equals("aperture")) {
      config.option("instance-index", Integer.toString(index)).option("instance-count", Integer.toString(count));
    }
    return Fixtures.create(algorithm, config.build());
  }

  /** What one simulated fleet saw. */
  static final class Fleet {
    final int[] connectionsPerClient;
    final int[] connectionsPerBackend;
    final long[] requestsPerBackend;

    Fleet(int clients, int backends) {
      connectionsPerClient = new int[clients];
      connectionsPerBackend = new int[backends];
      requestsPerBackend = new long[backends];
    }

    double maxOverMean() {
      double mean = java.util.Arrays.stream(requestsPerBackend).average().orElse(0);
      return java.util.Arrays.stream(requestsPerBackend).max().orElse(0) / mean;
    }

    double minOverMean() {
      double mean = java.util.Arrays.stream(requestsPerBackend).average().orElse(0);
      return java.util.Arrays.stream(requestsPerBackend).min().orElse(0) / mean;
    }

    long totalConnections() {
      return java.util.Arrays.stream(connectionsPerClient).sum();
    }
  }

  /**
   * {@code clients} clients, each with its own view of outstanding work (its own counters, as a
   * client-side balancer has), send one request per tick for {@code ticks} ticks; a request lasts
   * 1 to 20 ticks. A connection is a (client, backend) pair that carried a request.
   */
  static Fleet simulate(String algorithm, int clients, int backends, int ticks) {
    List<Backend> set = Fixtures.backends(backends);
    SessionCounters[] counters = new SessionCounters[clients];
    Scheduler[] schedulers = new Scheduler[clients];
    List<List<Backend>> orders = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(12);
    for (int c = 0; c < clients; c++) {
      counters[c] = SessionCounters.create();
      schedulers[c] = client(algorithm, c, clients, counters[c]);
      // Each client learns the backends in its own order: the ring order must not depend on it.
      List<Backend> shuffled = new ArrayList<>(set);
      Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
      schedulers[c].update(shuffled);
      orders.add(shuffled);
    }
    Fleet fleet = new Fleet(clients, backends);
    List<Set<Integer>> used = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      used.add(new HashSet<>());
    }
    @SuppressWarnings("unchecked")
    ArrayDeque<BackendLoad>[] due = new ArrayDeque[21];
    for (int d = 0; d < due.length; d++) {
      due[d] = new ArrayDeque<>();
    }
    FlowKey flow = Fixtures.flow(1, 1);
    for (int t = 0; t < ticks; t++) {
      for (BackendLoad done : due[t % due.length]) {
        done.requestFinished(1_000_000, true);
      }
      due[t % due.length].clear();
      for (int c = 0; c < clients; c++) {
        Backend b = schedulers[c].select(flow);
        int index = Integer.parseInt(b.id().substring(1));
        BackendLoad load = counters[c].of(b);
        load.requestStarted();
        due[(t + 1 + random.nextInt(20)) % due.length].add(load);
        fleet.requestsPerBackend[index]++;
        used.get(c).add(index);
      }
    }
    for (int c = 0; c < clients; c++) {
      fleet.connectionsPerClient[c] = used.get(c).size();
      for (int b : used.get(c)) {
        fleet.connectionsPerBackend[b]++;
      }
    }
    return fleet;
  }

  @Test
  void hundredClientsOnHundredBackends_twelveConnectionsEach_evenLoad_againstPlainP2c() {
    Fleet aperture = simulate("aperture", 100, 100, 5_000);
    Fleet p2c = simulate("power-of-two-choices", 100, 100, 5_000);
    // Aperture: every client talks to its 12 backends, every backend to 12 clients (Finagle's
    // minimum aperture of 12; the slices of 100 clients of width 0.12 cover the ring 12 times).
    assertThat(aperture.connectionsPerClient).containsOnly(12);
    assertThat(aperture.connectionsPerBackend).containsOnly(12);
    assertThat(aperture.totalConnections()).isEqualTo(1_200);
    // Plain P2C: every client ends up talking to every backend.
    assertThat(p2c.totalConnections()).isGreaterThan(9_900);
    // Load spread: 500,000 requests, 5,000 per backend on average. Measured (seeded, the same every
    // run): aperture 0.978 to 1.028 of the mean, P2C 0.966 to 1.036; the bound leaves room.
    assertThat(aperture.maxOverMean()).isLessThanOrEqualTo(1.06);
    assertThat(aperture.minOverMean()).isGreaterThanOrEqualTo(0.94);
    assertThat(p2c.maxOverMean()).isLessThanOrEqualTo(1.06);
    assertThat(p2c.minOverMean()).isGreaterThanOrEqualTo(0.94);
  }

  @Test
  void width_isWholeClientWidthsCoveringTheMinimumAperture() {
    // Finagle's dApertureWidth: ceil(a * m / n) / m, at most 1.
    assertThat(ApertureScheduler.width(12, 100, 100)).isEqualTo(0.12);
    assertThat(ApertureScheduler.width(12, 10, 100)).isEqualTo(0.2);
    assertThat(ApertureScheduler.width(10, 3, 10)).isEqualTo(1.0);
    assertThat(ApertureScheduler.width(12, 7, 1000)).isEqualTo(1.0 / 7);
  }

  private static Set<String> slice(Scheduler s, int draws) {
    Set<String> seen = new HashSet<>();
    for (FlowKey f : Fixtures.flows(draws, 3)) {
      seen.add(s.select(f).id());
    }
    return seen;
  }

  @Test
  void slices_ofAFleetCoverTheRing_andDoNotDependOnSeedOrUpdateOrder() {
    List<Backend> set = Fixtures.backends(40);
    List<Backend> reversed = new ArrayList<>(set);
    Collections.reverse(reversed);
    Set<String> union = new HashSet<>();
    for (int c = 0; c < 10; c++) {
      Scheduler one = client("aperture", c, 10, SessionCounters.create());
      one.update(set);
      Scheduler other = Fixtures.create("aperture", SchedulerConfig.builder().seed(-c)
          .option("instance-index", Integer.toString(c)).option("instance-count", "10").build());
      other.update(reversed);
      Set<String> mine = slice(one, 2000);
      // min(12, 40) = 12 backends: ceil(12 * 10 / 40) = 3 client widths = 0.3 of the ring = 12.
      assertThat(mine).hasSize(12);
      assertThat(slice(other, 2000)).isEqualTo(mine);
      union.addAll(mine);
    }
    assertThat(union).hasSize(40);
  }

  @Test
  void weights_widenABackendsArc() {
    // One heavy backend of weight 20 among 19 of weight 1: its arc is half the ring, so a client
    // whose slice lies in it talks to it and its neighbours only.
    List<Backend> set = new ArrayList<>(Fixtures.backends(19));
    set.add(Fixtures.backend("heavy", 19));
    int heavyClients = 0;
    for (int c = 0; c < 20; c++) {
      Scheduler s = client("aperture", c, 20, SessionCounters.create());
      s.update(set);
      Set<String> mine = slice(s, 3000);
      heavyClients += mine.contains("heavy") ? 1 : 0;
    }
    // Slices of width ceil(12 * 20 / 20) / 20 = 0.6: more than half the clients overlap its half.
    assertThat(heavyClients).isGreaterThanOrEqualTo(15);
  }

  @Test
  void coordinate_isValidated() {
    assertThatThrownBy(() -> Fixtures.create("aperture", SchedulerConfig.builder()
        .option("instance-index", "5").option("instance-count", "5").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance-index=5").hasMessageContaining("instance-count=5");
    assertThatThrownBy(() -> Fixtures.create("aperture", SchedulerConfig.builder().option("instance-count", "0").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance-count=0");
  }
}
