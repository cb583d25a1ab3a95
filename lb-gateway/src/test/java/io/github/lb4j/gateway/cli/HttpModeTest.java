package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.demo.HttpBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lb proxy --mode http}: its flags and file keys, their errors, and a real run with SIGTERM. */
class HttpModeTest {

  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private static Result lb(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Lb.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private static void oneLine(Result r, String expected) {
    assertThat(r.code()).isNotZero();
    assertThat(r.err().lines().toList()).singleElement().asString().contains(expected);
    assertThat(r.err()).doesNotContain("\tat ", "Exception");
  }

  @Test
  void badValues_areOneLineNamingTheFlag() {
    String[] base = {"proxy", "--mode", "http", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};
    oneLine(lb(concat(base, "--hash-on", "uri")), "--hash-on must be none, source, path, header:NAME or cookie:NAME");
    oneLine(lb(concat(base, "--max-headers", "0")), "max-headers must be at least 1");
    oneLine(lb(concat(base, "--forwarded-headers", "all")), "forwarded-headers must be none, x-forwarded-for, forwarded or both");
    oneLine(lb(concat(base, "--via", "a b")), "via must be a token");
    oneLine(lb(concat(base, "--proxy-protocol", "v2")), "--proxy-protocol does not apply to the HTTP mode");
    oneLine(lb(concat(base, "--backend-timeout", "0")), "--backend-timeout must be positive");
    oneLine(lb(concat(base, "--backend", "127.0.0.1:9")), "has the address 127.0.0.1:9 of an earlier backend");
    oneLine(lb("proxy", "--mode", "udp", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"), "--mode must be tcp or http");
  }

  @Test
  void httpFlagsInTcpMode_areRefused() {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--hash-on", "path"),
        "--hash-on applies only to the HTTP mode: add --mode http");
  }

  @Test
  void configFile_namesItsLine() throws Exception {
    Path conf = dir.resolve("lb.conf");
    Files.writeString(conf, "mode = http\nlisten = 127.0.0.1:0\nbackend web-1 = 127.0.0.1:9\nmax-body-size = lots\n");
    oneLine(lb("proxy", "--config", conf.toString()), conf + ":4: max-body-size must be a whole number");
  }

  @Test
  void run_balancesRequestsAndDrainsOnSigterm() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    try (HttpBackend one = new HttpBackend("web-1", new InetSocketAddress(lo, 0));
        HttpBackend two = new HttpBackend("web-2", new InetSocketAddress(lo, 0))) {
      one.start();
      two.start();
      try (LbProcess lb = LbProcess.start("proxy", "--mode", "http", "--listen", "127.0.0.1:0",
          "--backend", "web-1=127.0.0.1:" + one.address().getPort(), "--backend", "web-2=127.0.0.1:" + two.address().getPort(),
          "--algorithm", "maglev", "--check", "http", "--check-option", "path=/health", "--hash-on", "header:X-User")) {
        String line = lb.awaitOut(l -> l.contains("listening on"));
        assertThat(line).contains("mode http", "hash-on header:X-User", "check http", "2 backends");
        Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
        assertThat(m.find()).isTrue();
        int port = Integer.parseInt(m.group(1));
        Set<String> users = new HashSet<>();
        Set<String> all = new HashSet<>();
        try (Socket s = new Socket(lo, port)) {
          s.setSoTimeout(60_000);
          for (int i = 0; i < 20; i++) {
            users.add(get(s, "alice"));
            all.add(get(s, "u" + i));
          }
        }
        assertThat(users).hasSize(1);
        assertThat(all).containsExactlyInAnyOrder("hello from web-1\n", "hello from web-2\n");
        lb.terminate();
        assertThat(lb.awaitExit()).isEqualTo(143);
        await().until(() -> lb.out.stream().anyMatch(l -> l.contains("drained in")));
      }
    }
  }

  /** One GET on a keep-alive connection; returns the body (lb serve answers with a Content-Length). */
  private static String get(Socket s, String user) throws java.io.IOException {
    s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: lb\r\nX-User: " + user + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    var in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new java.io.EOFException("closed after " + head);
      }
      head.append((char) c);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 200 ");
    Matcher len = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
    assertThat(len.find()).isTrue();
    return new String(in.readNBytes(Integer.parseInt(len.group(1))), StandardCharsets.US_ASCII);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
