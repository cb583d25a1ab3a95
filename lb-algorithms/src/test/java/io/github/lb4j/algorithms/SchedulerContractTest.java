package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Schedulers;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Runs the {@link SchedulerContract} against every registered scheduler. */
class SchedulerContractTest {

  @Test
  void registry_listsEveryAlgorithmOfIssue3() {
    assertThat(Schedulers.descriptions().keySet()).containsExactlyInAnyOrderElementsOf(Fixtures.NAMES);
    assertThat(Schedulers.descriptions().values()).allSatisfy(d -> assertThat(d).isNotBlank());
  }

  @Nested
  class RoundRobin extends SchedulerContract {
    @Override
    String name() {
      return "round-robin";
    }
  }

  @Nested
  class WeightedRoundRobin extends SchedulerContract {
    @Override
    String name() {
      return "weighted-round-robin";
    }
  }

  @Nested
  class SmoothWeightedRoundRobin extends SchedulerContract {
    @Override
    String name() {
      return "smooth-weighted-round-robin";
    }
  }

  @Nested
  class LeastConnections extends SchedulerContract {
    @Override
    String name() {
      return "least-connections";
    }
  }

  @Nested
  class WeightedLeastConnections extends SchedulerContract {
    @Override
    String name() {
      return "weighted-least-connections";
    }
  }

  @Nested
  class ShortestExpectedDelay extends SchedulerContract {
    @Override
    String name() {
      return "shortest-expected-delay";
    }
  }

  @Nested
  class NeverQueue extends SchedulerContract {
    @Override
    String name() {
      return "never-queue";
    }
  }

  @Nested
  class SourceHash extends SchedulerContract {
    @Override
    String name() {
      return "source-hash";
    }
  }

  @Nested
  class FourTupleHash extends SchedulerContract {
    @Override
    String name() {
      return "four-tuple-hash";
    }
  }

  @Nested
  class Random extends SchedulerContract {
    @Override
    String name() {
      return "random";
    }
  }

  @Nested
  class WeightedRandom extends SchedulerContract {
    @Override
    String name() {
      return "weighted-random";
    }
  }

  @Nested
  class PowerOfTwoChoices extends SchedulerContract {
    @Override
    String name() {
      return "power-of-two-choices";
    }
  }

  @Nested
  class PeakEwma extends SchedulerContract {
    @Override
    String name() {
      return "peak-ewma";
    }
  }

  @Nested
  class Maglev extends SchedulerContract {
    @Override
    String name() {
      return "maglev";
    }
  }

  @Nested
  class RingHash extends SchedulerContract {
    @Override
    String name() {
      return "ring-hash";
    }
  }

  @Nested
  class Jump extends SchedulerContract {
    @Override
    String name() {
      return "jump";
    }
  }

  @Nested
  class Rendezvous extends SchedulerContract {
    @Override
    String name() {
      return "rendezvous";
    }
  }

  @Nested
  class Failover extends SchedulerContract {
    @Override
    String name() {
      return "failover";
    }
  }

  @Nested
  class LocalityLeastConnections extends SchedulerContract {
    @Override
    String name() {
      return "locality-least-connections";
    }
  }

  @Nested
  class LeastRequest extends SchedulerContract {
    @Override
    String name() {
      return "least-request";
    }
  }

  @Nested
  class WeightedRoundRobinAdaptive extends SchedulerContract {
    @Override
    String name() {
      return "weighted-round-robin-adaptive";
    }
  }

  @Nested
  class Aperture extends SchedulerContract {
    @Override
    String name() {
      return "aperture";
    }
  }
}
