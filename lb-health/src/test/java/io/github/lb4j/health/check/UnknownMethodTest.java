package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.HealthCheckers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With lb-health present, an unknown method is the caller's mistake and the message lists the real names. */
class UnknownMethodTest {

  @Test
  void unknownHealthCheck_listsEveryKnownMethod() {
    assertThatThrownBy(() -> HealthCheckers.create("no-such-check", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown health check 'no-such-check'; known: ")
        .hasMessageContaining(String.join(", ", HealthCheckers.descriptions().keySet()))
        .hasMessageContaining("http-content").hasMessageContaining("tcp-half-open");
  }
}
