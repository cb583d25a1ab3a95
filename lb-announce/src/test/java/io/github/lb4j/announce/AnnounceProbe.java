package io.github.lb4j.announce;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A process that owns one {@link VipAnnouncer}, run by the tests inside a speaker's namespace (the
 * speaker is its child and shares its namespace). Arguments: {@code SPEAKER DIR LOCAL LOCAL_AS PEER
 * PEER_AS VIP[,VIP] HOLD_SECONDS BFD_MILLIS}. Reads commands on standard input and answers each with
 * one line: {@code on}, {@code off} (then {@code applied true|false}), {@code status}, {@code close}.
 */
final class AnnounceProbe {

  private AnnounceProbe() {}

  public static void main(String[] args) throws Exception {
    BgpConfig.Builder b = BgpConfig.builder(BgpConfig.Speaker.parse(args[0]), Long.parseLong(args[3]))
        .directory(Path.of(args[1]))
        .localAddress(InetAddress.getByName(args[2]))
        .routerId(InetAddress.getByName("192.0.2.2"))
        .peer(InetAddress.getByName(args[4]), Long.parseLong(args[5]))
        .holdTime(Duration.ofSeconds(Long.parseLong(args[7])));
    for (String v : args[6].split(",")) {
      b.vip(InetAddress.getByName(v));
    }
    long bfd = Long.parseLong(args[8]);
    if (bfd > 0) {
      b.bfd(Duration.ofMillis(bfd), 3);
    }
    VipAnnouncer a = Announcers.bgp(b.build());
    System.out.println("started pid " + ProcessHandle.current().pid());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.trim()) {
        case "on", "off" -> {
          a.serving(line.trim().equals("on"));
          System.out.println("applied " + a.awaitApplied(Duration.ofSeconds(20)));
        }
        case "status" -> System.out.println(a.status().lines("").replace('\n', ';'));
        case "close" -> {
          a.close();
          System.out.println("closed " + a.status().lines("").replace('\n', ';'));
          return;
        }
        default -> System.out.println("unknown command " + line);
      }
      System.out.flush();
    }
  }
}
