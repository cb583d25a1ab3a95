package io.github.lb4j.announce;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@link SpeakerAnnouncer} needs from one speaker daemon: its configuration and command line,
 * its control channel, announcing and withdrawing, and the sessions' state. Used by the announcer's
 * one thread only; every method may block up to its timeout.
 */
interface SpeakerDriver {

  /** The speaker's name, for status and messages. */
  String name();

  /**
   * Writes the speaker's configuration into {@code directory} and returns the command that runs
   * it in the foreground with that configuration, the VIPs not yet announced.
   */
  List<String> prepare(Path directory) throws IOException;

  /** Waits until the started speaker answers on its control channel. */
  void connect(Process process, Duration timeout) throws IOException;

  /** Exports the VIPs to every peer (true) or withdraws them (false); returns once the speaker confirmed. */
  void announce(boolean on) throws IOException;

  /** Counts the peers in the Established state. */
  int established() throws IOException;

  /** Closes the control channel; the process is stopped by the caller. */
  void disconnect();
}
