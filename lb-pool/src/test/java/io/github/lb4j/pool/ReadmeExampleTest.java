package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The root README's library example is {@link ReadmeExample}'s marked region, character for
 * character, and it works: against three real HTTP servers on loopback, one failing every request
 * and one failing its health checks, every user gets an answer, a failure is retried elsewhere,
 * the failing server is ejected and the unhealthy one taken out.
 */
class ReadmeExampleTest {

  static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("lb-pool").resolve("pom.xml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("repository root not found from " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  /** The lines between the markers, without the indentation they share. */
  static String markedRegion(String source) {
    String[] lines = source.split("\n", -1);
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].trim().equals("// README-BEGIN")) {
        begin = i + 1;
      } else if (lines[i].trim().equals("// README-END")) {
        end = i;
      }
    }
    assertThat(begin).as("README-BEGIN marker").isPositive();
    assertThat(end).as("README-END marker").isGreaterThan(begin);
    int indent = Integer.MAX_VALUE;
    for (int i = begin; i < end; i++) {
      if (!lines[i].isBlank()) {
        indent = Math.min(indent, lines[i].length() - lines[i].stripLeading().length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (int i = begin; i < end; i++) {
      out.append(lines[i].isBlank() ? "" : lines[i].substring(indent)).append('\n');
    }
    return out.toString();
  }

  /** The first java code block after the heading of the library section. */
  static String readmeBlock(String readme) {
    int section = readme.indexOf("## Use it as a library: BackendPool");
    assertThat(section).as("README section 'Use it as a library: BackendPool'").isNotNegative();
    int open = readme.indexOf("```java\n", section);
    int close = readme.indexOf("```\n", open + 8);
    assertThat(open).isPositive();
    return readme.substring(open + "```java\n".length(), close);
  }

  @Test
  void readmeShowsExactlyTheExampleThatIsCompiled() throws IOException {
    Path root = repositoryRoot();
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String example = Files.readString(root.resolve("lb-pool/src/test/java/io/github/lb4j/pool/ReadmeExample.java"),
        StandardCharsets.UTF_8);
    assertThat(readmeBlock(readme)).isEqualTo(markedRegion(example));
  }

  @Test
  void theExampleServesEveryUser_retriesFailures_andEjectsTheFailingReplica() throws Exception {
    try (LoopbackHttp a = new LoopbackHttp("a");
        LoopbackHttp b = new LoopbackHttp("b");
        LoopbackHttp c = new LoopbackHttp("c");
        ReadmeExample.GreetingClient client = new ReadmeExample.GreetingClient(List.of(a.backend(), b.backend(), c.backend()))) {
      b.requestStatus(503);
      Set<String> answeredBy = new HashSet<>();
      for (int user = 0; user < 60; user++) {
        String answer = client.greet("user-" + user);
        assertThat(answer).startsWith("hello from ");
        answeredBy.add(answer);
      }
      assertThat(answeredBy).containsExactlyInAnyOrder("hello from a", "hello from c");
      // Users of b were retried on another replica until outlier detection ejected b.
      assertThat(b.requests.get()).isBetween(1L, 20L);
      assertThat(client.pool().backend("b").ejected()).isTrue();
      long bRequests = b.requests.get();
      for (int user = 0; user < 30; user++) {
        client.greet("user-" + user);
      }
      assertThat(b.requests.get()).isEqualTo(bRequests);

      // c fails its health checks: after three checks (fall 3) it takes no new request.
      c.healthStatus(503);
      await().atMost(Duration.ofSeconds(20)).until(() -> client.pool().backend("c").checked() == HealthState.DOWN);
      long cRequests = c.requests.get();
      for (int user = 0; user < 30; user++) {
        assertThat(client.greet("user-" + user)).isEqualTo("hello from a");
      }
      assertThat(c.requests.get()).isEqualTo(cRequests);
      assertThat(client.pool().stats().activeRequests()).isZero();
    }
    await().until(() -> CloseTest.lb4jThreads().isEmpty());
  }
}
