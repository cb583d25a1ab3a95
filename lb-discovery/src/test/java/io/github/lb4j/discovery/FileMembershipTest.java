package io.github.lb4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FileMembership on real files: reload on change, bad files rejected whole with file and line. */
class FileMembershipTest {

  @TempDir Path dir;

  private static Map<String, String> members(BackendPool pool) {
    pool.flush().join();
    Map<String, String> out = new LinkedHashMap<>();
    for (BackendState s : pool.backends()) {
      out.put(s.id(), s.backend().socketAddress() + " w" + s.backend().weight() + " p" + s.backend().priority()
          + (s.backend().zone() == null ? "" : " z" + s.backend().zone()) + (s.backend().labels().isEmpty() ? "" : " " + s.backend().labels()));
    }
    return out;
  }

  /** Replaces the file as a deployment tool does: a temporary file renamed over it. */
  private void replace(Path file, String text) throws Exception {
    Path tmp = Files.createTempFile(dir, "next", ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void theFileIsTheMembership_andAChangeReachesThePool() throws Exception {
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, """
        # the web tier
        web-1 192.0.2.10:8080 weight=3 zone=eu-west-1a
        web-2 192.0.2.11:8080 priority=1 label.canary=true   # the canary
        [2001:db8::12]:8080
        """);
    FileMembership source = FileMembership.watch(file);
    try (BackendPool pool = BackendPool.builder().membership(source).build()) {
      assertThat(members(pool)).containsExactly(
          Map.entry("web-1", "/192.0.2.10:8080 w3 p0 zeu-west-1a"),
          Map.entry("web-2", "/192.0.2.11:8080 w1 p1 {canary=true}"),
          Map.entry("[2001:db8::12]:8080", "/[2001:db8:0:0:0:0:0:12]:8080 w1 p0"));

      replace(file, "web-1 192.0.2.10:8080 weight=5\nweb-3 192.0.2.13:8080\n");
      await().until(() -> members(pool).keySet().equals(java.util.Set.of("web-1", "web-3")));
      assertThat(members(pool).get("web-1")).isEqualTo("/192.0.2.10:8080 w5 p0");

      // An in-place edit is seen as well.
      Files.writeString(file, "web-1 192.0.2.10:8080 weight=0\nweb-3 192.0.2.13:8080\n");
      await().until(() -> members(pool).get("web-1").equals("/192.0.2.10:8080 w0 p0"));
      assertThat(source.status().lastError()).isNull();
    }
  }

  @Test
  void aBadFile_isRejectedWhole_namingFileAndLine_andTheLastGoodSetStays() throws Exception {
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, "web-1 192.0.2.10:8080\nweb-2 192.0.2.11:8080\n");
    FileMembership source = FileMembership.watch(file);
    try (BackendPool pool = BackendPool.builder().membership(source).build()) {
      replace(file, "web-1 192.0.2.10:8080\nweb-2 192.0.2.11:80800\nweb-3 192.0.2.12:8080\n");
      await().until(() -> source.status().lastError() != null);
      assertThat(source.status().lastError()).isEqualTo(file + ":2: port must be 1..65535, was 80800 in 'web-2 192.0.2.11:80800'");
      assertThat(members(pool)).containsOnlyKeys("web-1", "web-2");

      replace(file, "web-1 192.0.2.10:8080\nweb-1 192.0.2.11:8080\n");
      await().until(() -> source.status().lastError().contains("appears twice"));
      assertThat(source.status().lastError()).startsWith(file + ":2: backend id 'web-1'");

      replace(file, "web-1 db.example.test:8080\n");
      await().until(() -> source.status().lastError().contains(":1: "));
      assertThat(source.status().lastError()).contains("not an IPv4 address").contains("DNS source");

      replace(file, "# nothing yet\n");
      await().until(() -> source.status().lastError().contains("no backend"));

      Files.delete(file);
      await().until(() -> source.status().lastError().contains("the file is gone"));
      assertThat(members(pool)).containsOnlyKeys("web-1", "web-2");

      replace(file, "web-4 192.0.2.14:8080 weigth=2\n");
      await().until(() -> source.status().lastError().contains("unknown option 'weigth'"));
      replace(file, "web-4 192.0.2.14:8080 weight=2\n");
      await().until(() -> members(pool).keySet().equals(java.util.Set.of("web-4")));
      assertThat(source.status().lastError()).isNull();
    }
  }

  @Test
  void aFileBadFromTheStart_failsBeforeAnyPoolIsBuilt() throws Exception {
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, "web-1 192.0.2.10:8080\n\nweb-2 192.0.2.300:8080\n");
    assertThatThrownBy(() -> FileMembership.watch(file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file.toAbsolutePath() + ":3: '192.0.2.300' is not an IPv4 address or a bracketed IPv6 address"
            + " (names belong in DNS: use a DNS source) in 'web-2 192.0.2.300:8080'");
    assertThatThrownBy(() -> FileMembership.watch(dir.resolve("missing.txt"))).hasMessageContaining("missing.txt");
  }

  @Test
  void close_stopsTheWatchingThread() throws Exception {
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, "web-1 192.0.2.10:8080\n");
    FileMembership source = FileMembership.watch(file);
    BackendPool pool = BackendPool.builder().membership(source).build();
    assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals("lb-file backends.txt"));
    pool.close();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("lb-file backends.txt") && t.isAlive());
    Files.writeString(file, "web-2 192.0.2.11:8080\n");
    assertThat(source.reload()).isFalse();
  }
}
