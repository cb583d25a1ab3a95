package io.github.lb4j.gateway.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What {@code lb demo} prints, plain and live, over a short run (both runs at once: 10 s of test time). */
class DemoTest {

  private static CompletableFuture<String> run(boolean live) {
    return CompletableFuture.supplyAsync(() -> {
      StringWriter text = new StringWriter();
      Demo.Options o = new Demo.Options("weighted-round-robin", "http", Map.of("path", "/health"), Duration.ofMillis(500), 2, 2,
          Duration.ofSeconds(2), Duration.ofSeconds(10), 50, live);
      try {
        new Demo(o, new PrintWriter(text, true)).run();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return text.toString();
    });
  }

  @Test
  void plainMode_explainsTheRunAndWhenItEnds_andLiveMode_dropsTheCtrlCHintAtTheEnd() throws Exception {
    CompletableFuture<String> plain = run(false);
    CompletableFuture<String> live = run(true);

    String p = plain.get(2, TimeUnit.MINUTES);
    assertThat(p.lines().limit(3).toList()).satisfiesExactly(
        l -> assertThat(l).startsWith("lb demo: weighted-round-robin over 3 HTTP backends on loopback")
            .contains("check http every 500ms (fall 2, rise 2); slow start 2s"),
        l -> assertThat(l).isEqualTo("a client makes 50 requests/s, each on a new connection; web-2 is stopped at 2.7s (as a crash)"
            + " and restarted at 5.3s"),
        l -> assertThat(l).isEqualTo("the demo ends after 10s (--duration) with a summary, or earlier on Ctrl-C;"
            + " a line every 2s below (a terminal shows a live view)"));
    assertThat(p).contains("\nsummary\n").doesNotContain("Ctrl-C ends the demo early").doesNotContain("\033[");

    String l = live.get(2, TimeUnit.MINUTES);
    assertThat(l).contains("Ctrl-C ends the demo early");
    String lastFrame = l.substring(l.lastIndexOf("\033[H"));
    assertThat(lastFrame).contains("summary").doesNotContain("Ctrl-C ends the demo early");
  }
}
