package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import org.junit.jupiter.api.Test;

/** With lb-algorithms present, an unknown name is the caller's mistake and the message lists the real names. */
class RegistryTest {

  @Test
  void unknownScheduler_listsEveryKnownName() {
    assertThatThrownBy(() -> Schedulers.create("no-such-algorithm", SchedulerConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown scheduler 'no-such-algorithm'; known: ")
        .hasMessageContaining(String.join(", ", Schedulers.descriptions().keySet()))
        .hasMessageContaining("least-connections").hasMessageContaining("maglev");
  }
}
