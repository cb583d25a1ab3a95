package io.github.lb4j.announce;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creates {@link VipAnnouncer}s.
 *
 * <pre>{@code
 * BgpConfig bgp = BgpConfig.builder(BgpConfig.Speaker.BIRD, 64513)
 *     .localAddress(InetAddress.getByName("192.0.2.2"))
 *     .peer(InetAddress.getByName("192.0.2.1"), 64512)
 *     .vip(InetAddress.getByName("198.51.100.100"))
 *     .holdTime(Duration.ofSeconds(3))
 *     .bfd(Duration.ofMillis(100), 3)
 *     .build();
 * try (VipAnnouncer announcer = Announcers.bgp(bgp)) {
 *   announcer.serving(healthyBackends > 0);        // whenever it may have changed
 *   ...
 *   announcer.serving(false);                      // graceful stop: withdraw,
 *   announcer.awaitApplied(Duration.ofSeconds(5)); // wait for the withdrawal, drain, then close
 * }
 * }</pre>
 */
public final class Announcers {

  private Announcers() {}

  /**
   * Starts the configured speaker (BIRD 2 or GoBGP) as a child of this process, on a thread of the
   * announcer, with the VIPs withdrawn until {@link VipAnnouncer#serving} says otherwise. Returns at
   * once; the speaker's configuration, control socket and log are in {@link BgpConfig#directory()}
   * (a new temporary directory by default). A speaker that cannot start (not installed, bad
   * address) is reported in {@link VipAnnouncer#status()} and retried.
   *
   * @param config what to announce, to whom
   * @return the running announcer, to close
   * @throws UncheckedIOException when the directory cannot be created
   */
  public static VipAnnouncer bgp(BgpConfig config) {
    Path dir = config.directory();
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("lb4j-" + config.speaker().label() + "-");
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the speaker's directory " + dir, e);
    }
    SpeakerDriver driver = config.speaker() == BgpConfig.Speaker.BIRD ? new BirdDriver(config) : new GoBgpDriver(config);
    SpeakerAnnouncer a = new SpeakerAnnouncer(config, driver, dir);
    a.start();
    return a;
  }

  /**
   * Tells whether a speaker started by this process dies with it (util-linux's {@code setpriv}
   * with {@code --pdeathsig} is installed); without it, a balancer killed by SIGKILL leaves its
   * speaker announcing until the speaker is stopped by hand.
   *
   * @return whether the tie is available
   */
  public static boolean speakerDiesWithProcess() {
    return Executables.canTie();
  }
}
