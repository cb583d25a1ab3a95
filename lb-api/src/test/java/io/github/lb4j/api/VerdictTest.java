package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class VerdictTest {

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 255, 256, 65_535})
  void forward_carriesThePort(int port) {
    int v = Verdict.forward(port);
    assertThat(Verdict.action(v)).isEqualTo(Verdict.FORWARD);
    assertThat(Verdict.port(v)).isEqualTo(port);
    assertThat(Verdict.reason(v)).isNull();
  }

  @ParameterizedTest
  @EnumSource(DropReason.class)
  void drop_carriesEveryReason(DropReason reason) {
    int v = Verdict.drop(reason);
    assertThat(Verdict.action(v)).isEqualTo(Verdict.DROP);
    assertThat(Verdict.reason(v)).isEqualTo(reason);
    assertThat(Verdict.toString(v)).isEqualTo("drop(" + reason + ")");
  }

  @Test
  void reply_isNeitherForwardNorDrop() {
    assertThat(Verdict.action(Verdict.reply())).isEqualTo(Verdict.REPLY);
    assertThat(Verdict.reason(Verdict.reply())).isNull();
    assertThat(Verdict.toString(Verdict.forward(3))).isEqualTo("forward(3)");
  }

  @Test
  void dropReasonCodes_areUniqueAndResolvable() {
    for (DropReason r : DropReason.values()) {
      assertThat(DropReason.ofCode(r.code())).isSameAs(r);
    }
    assertThat(DropReason.ofCode(0)).isNull();
    assertThat(DropReason.ofCode(999)).isNull();
  }
}
