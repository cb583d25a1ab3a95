package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.health.AgentChecker;
import io.github.lb4j.health.AgentReport;
import io.github.lb4j.health.AgentReport.AdminState;
import io.github.lb4j.health.AgentReport.OperationalState;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * HAProxy's agent check against real TCP agents on loopback: every word of the grammar, the
 * optional request, and malformed answers, each with a specific result.
 */
class AgentCheckTest {

  private static AgentChecker agent(Map<String, String> options) {
    HealthChecker c = HealthCheckers.create("agent", options);
    assertThat(c).isInstanceOf(AgentChecker.class);
    return (AgentChecker) c;
  }

  /** An agent that writes {@code answer} (raw bytes, ISO-8859-1) and closes, without reading. */
  private static LoopbackServer.Behaviour says(String answer) {
    return s -> {
      OutputStream out = s.getOutputStream();
      out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      s.close();
    };
  }

  private static AgentReport query(String answer) throws Exception {
    try (LoopbackServer server = new LoopbackServer(says(answer)); AgentChecker c = agent(Map.of())) {
      return c.query(server.address(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void percentage_isARelativeWeight() throws Exception {
    AgentReport r = query("75%\n");
    assertThat(r.answered()).isTrue();
    assertThat(r.weightPercent()).hasValue(75);
    assertThat(r.weight()).isEmpty();
    assertThat(r.result().healthy()).isTrue();
    assertThat(r.result().detail()).contains("'75%'");
    assertThat(r.line()).hasValue("75%");
  }

  @Test
  void everyWordOfTheGrammar_inAnyOrder_separatedBySpacesTabsOrCommas() throws Exception {
    AgentReport r = query("maxconn:30,\tweight:12 DRAIN, up # warming the cache \r\n");
    assertThat(r.weight()).hasValue(12);
    assertThat(r.weightPercent()).isEmpty();
    assertThat(r.maxconn()).hasValue(30);
    assertThat(r.adminState()).hasValue(AdminState.DRAIN);
    assertThat(r.operationalState()).hasValue(OperationalState.UP);
    assertThat(r.description()).isEqualTo("warming the cache");
    assertThat(r.problems()).isEmpty();
    assertThat(r.result().healthy()).isTrue();
  }

  @Test
  void theLastWordOfEachKindWins() throws Exception {
    AgentReport r = query("weight:50% 20% maint ready down up\n");
    assertThat(r.weightPercent()).hasValue(20);
    assertThat(r.adminState()).hasValue(AdminState.READY);
    assertThat(r.operationalState()).hasValue(OperationalState.UP);
  }

  @Test
  void downFailAndStopped_areUnhealthy_withTheDescription() throws Exception {
    for (String word : new String[] {"down", "fail", "stopped"}) {
      AgentReport r = query(word + " #db migration\n");
      assertThat(r.operationalState()).hasValue(OperationalState.valueOf(word.toUpperCase(java.util.Locale.ROOT)));
      assertThat(r.result().healthy()).isFalse();
      assertThat(r.result().reason()).isEqualTo(HealthReason.UNEXPECTED_STATUS);
      assertThat(r.result().detail()).isEqualTo("agent says " + word + " (db migration)");
    }
    AgentReport maint = query("maint\n");
    assertThat(maint.adminState()).hasValue(AdminState.MAINT);
    assertThat(maint.result().healthy()).as("maint is administrative, not a failure").isTrue();
  }

  @Test
  void sendOption_isWrittenOnConnect_asHaproxyAgentSend() throws Exception {
    AtomicReference<String> request = new AtomicReference<>();
    LoopbackServer.Behaviour replyToRequest = s -> {
      InputStream in = s.getInputStream();
      StringBuilder b = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        b.append((char) c);
      }
      request.set(b.toString());
      s.getOutputStream().write((b.toString().equals("backend web") ? "ready 100%\n" : "down\n").getBytes(StandardCharsets.US_ASCII));
      s.close();
    };
    try (LoopbackServer server = new LoopbackServer(replyToRequest); AgentChecker c = agent(Map.of("send", "backend web\\n"))) {
      AgentReport r = c.query(server.address(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(request.get()).isEqualTo("backend web");
      assertThat(r.weightPercent()).hasValue(100);
      assertThat(r.adminState()).hasValue(AdminState.READY);
      // check() gives the same verdict without the typed parts.
      HealthResult plain = c.check(server.address(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(plain.healthy()).isTrue();
    }
  }

  @Test
  void unknownWordsAndBadNumbers_areIgnoredAndNamed_theRestStillCounts() throws Exception {
    AgentReport r = query("50% bogus maxconn:ten weight:300 weight:7x\n");
    assertThat(r.weightPercent()).hasValue(50);
    assertThat(r.maxconn()).isEmpty();
    assertThat(r.problems()).containsExactly("unknown word 'bogus'", "maxconn 'ten' is not a whole number",
        "absolute weight 300 is not in 0..256", "weight '7x' is not a number, nor a number followed by %");
    assertThat(r.result().healthy()).isTrue();
    assertThat(r.result().detail()).contains("ignored: unknown word 'bogus'");
  }

  @Test
  void aLineWithNothingUsable_isAProtocolError() throws Exception {
    AgentReport r = query("HTTP/1.1 200 OK\r\n");
    assertThat(r.answered()).isTrue();
    assertThat(r.result().reason()).isEqualTo(HealthReason.PROTOCOL_ERROR);
    assertThat(r.result().detail()).isEqualTo("agent answered 'HTTP/1.1 200 OK', nothing usable: unknown word 'HTTP/1.1'; "
        + "unknown word '200'; unknown word 'OK'");
  }

  @Test
  void anEmptyLine_changesNothing_andIsHealthy() throws Exception {
    AgentReport r = query("\n");
    assertThat(r.answered()).isTrue();
    assertThat(r.weightPercent()).isEmpty();
    assertThat(r.adminState()).isEmpty();
    assertThat(r.result().healthy()).isTrue();
    assertThat(r.result().detail()).isEqualTo("agent sent an empty line");
  }

  @Test
  void anIncompleteLine_isIgnored_asHaproxyDoes() throws Exception {
    AgentReport r = query("75%");
    assertThat(r.answered()).isFalse();
    assertThat(r.weightPercent()).isEmpty();
    assertThat(r.result().reason()).isEqualTo(HealthReason.PROTOCOL_ERROR);
    assertThat(r.result().detail()).isEqualTo("incomplete line, no CR or LF before the agent closed: '75%'");
    AgentReport silent = query("");
    assertThat(silent.result().detail()).isEqualTo("agent closed without answering");
  }

  @Test
  void aNulByte_orALineBeyondTheLimit_isAProtocolError() throws Exception {
    AgentReport nul = query("75\u0000%\n");
    assertThat(nul.answered()).isFalse();
    assertThat(nul.result().detail()).isEqualTo("NUL byte in the agent's line after '75'");
    try (LoopbackServer server = new LoopbackServer(says("x".repeat(100) + "\n")); AgentChecker c = agent(Map.of("max-line-bytes", "64"))) {
      AgentReport r = c.query(server.address(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(r.result().reason()).isEqualTo(HealthReason.PROTOCOL_ERROR);
      assertThat(r.result().detail()).isEqualTo("no CR or LF within 64 bytes from the agent");
    }
  }

  @Test
  void noAgent_isAConnectionFailure_withoutAnAnswer() throws Exception {
    InetSocketAddress nobody = LoopbackServer.refusingPort();
    try (AgentChecker c = agent(Map.of())) {
      AgentReport r = c.query(nobody, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(r.answered()).isFalse();
      assertThat(r.result().reason()).isEqualTo(HealthReason.REFUSED);
    }
    try (LoopbackServer silent = new LoopbackServer(LoopbackServer.hang()); AgentChecker c = agent(Map.of())) {
      AgentReport r = c.query(silent.address(), Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);
      assertThat(r.result().reason()).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.result().detail()).startsWith("no answer from the agent within 300 ms");
    }
  }

  @Test
  void closedChecker_answersClosed() throws Exception {
    AgentChecker c = agent(Map.of());
    c.close();
    AgentReport r = c.query(new InetSocketAddress("127.0.0.1", 9), Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
    assertThat(r.result().reason()).isEqualTo(HealthReason.CLOSED);
  }

  @Test
  void options_areValidated() {
    assertThatThrownBy(() -> HealthCheckers.create("agent", Map.of("max-line-bytes", "8")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-line-bytes").hasMessageContaining("'8'");
    assertThatThrownBy(() -> HealthCheckers.create("agent", Map.of("port", "9999")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option 'port'");
  }

  @Test
  void parse_readsHaproxyWordsCaseInsensitively() {
    AgentReport r = AgentReport.parse("UP, Weight:25%  MAXCONN:0");
    assertThat(r.operationalState()).hasValue(OperationalState.UP);
    assertThat(r.weightPercent()).hasValue(25);
    assertThat(r.maxconn()).hasValue(0);
    assertThat(AgentReport.parse("30000%").weightPercent()).as("capped as HAProxy").hasValue(AgentReport.MAX_RELATIVE_PERCENT);
    assertThat(AgentReport.parse("weight:0").weight()).hasValue(0);
    assertThat(AgentReport.parse("weight:-5").problems()).hasSize(1);
  }
}
