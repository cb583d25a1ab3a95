package io.github.lb4j.announce;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of a {@link VipAnnouncer}.
 *
 * @param speaker the speaker's name, {@code bird} or {@code gobgp}
 * @param wanted the last {@link VipAnnouncer#serving} value
 * @param announced whether the speaker currently exports the VIPs (as far as it confirmed)
 * @param speakerRunning whether the speaker process runs and answers its control channel
 * @param peersEstablished how many peers are in the BGP state Established
 * @param peers how many peers are configured
 * @param restarts how many times the speaker was restarted after it died
 * @param lastError the last error of the speaker or its control channel, or null
 */
public record AnnouncerStatus(String speaker, boolean wanted, boolean announced, boolean speakerRunning,
    int peersEstablished, int peers, long restarts, @Nullable String lastError) {

  /**
   * Formats the status as {@code key value} lines under a prefix (the datapath's status file).
   *
   * @param prefix for example {@code bgp.}
   * @return the lines, each ending with a newline
   */
  public String lines(String prefix) {
    return prefix + "speaker " + speaker + '\n'
        + prefix + "wanted " + wanted + '\n'
        + prefix + "announced " + announced + '\n'
        + prefix + "speaker_running " + speakerRunning + '\n'
        + prefix + "peers_established " + peersEstablished + '\n'
        + prefix + "peers " + peers + '\n'
        + prefix + "restarts " + restarts + '\n'
        + (lastError == null ? "" : prefix + "last_error " + lastError.replace('\n', ' ') + '\n');
  }
}
