/** Every scheduling algorithm of lb4j, registered by name with {@link io.github.lb4j.api.Schedulers}. */
module io.github.lb4j.algorithms {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires org.slf4j;

  provides io.github.lb4j.api.spi.SchedulerProvider with
      io.github.lb4j.algorithms.Providers.RoundRobin,
      io.github.lb4j.algorithms.Providers.WeightedRoundRobin,
      io.github.lb4j.algorithms.Providers.SmoothWeightedRoundRobin,
      io.github.lb4j.algorithms.Providers.LeastConnections,
      io.github.lb4j.algorithms.Providers.WeightedLeastConnections,
      io.github.lb4j.algorithms.Providers.ShortestExpectedDelay,
      io.github.lb4j.algorithms.Providers.NeverQueue,
      io.github.lb4j.algorithms.Providers.SourceHash,
      io.github.lb4j.algorithms.Providers.FourTupleHash,
      io.github.lb4j.algorithms.Providers.Random,
      io.github.lb4j.algorithms.Providers.WeightedRandom,
      io.github.lb4j.algorithms.Providers.PowerOfTwoChoices,
      io.github.lb4j.algorithms.Providers.PeakEwma,
      io.github.lb4j.algorithms.Providers.LeastRequest,
      io.github.lb4j.algorithms.Providers.WeightedRoundRobinAdaptive,
      io.github.lb4j.algorithms.Providers.Aperture,
      io.github.lb4j.algorithms.Providers.Maglev,
      io.github.lb4j.algorithms.Providers.RingHash,
      io.github.lb4j.algorithms.Providers.Jump,
      io.github.lb4j.algorithms.Providers.Rendezvous,
      io.github.lb4j.algorithms.Providers.Failover,
      io.github.lb4j.algorithms.Providers.LocalityLeastConnections;
}
