package io.github.lb4j.health.check;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * [tcp] (seed S2.2) and the unprivileged way of [tcp-half-open] (seed S2.3).
 *
 * <p>[tcp] completes the three-way handshake and closes, gracefully with FIN by default, or with RST
 * when {@code close=rst} ({@code SO_LINGER} 0), which leaves no TIME_WAIT on the checker side, as
 * HAProxy closes its check connections [1].
 *
 * <p>[tcp-half-open], unprivileged way: Linux's {@code TCP_QUICKACK} set to false before a
 * non-blocking connect puts the socket in "pingpong" (delayed-ACK) mode, so when the SYN/ACK
 * arrives the kernel moves the socket to ESTABLISHED but arms the delayed-ACK timer
 * ({@code TCP_DELACK_MAX}, 200 ms) instead of sending the handshake ACK
 * ({@code tcp_rcv_synsent_state_process} in net/ipv4/tcp_input.c [2]). Closing the socket with
 * {@code SO_LINGER} 0 inside that window sends an RST. The server therefore sees SYN, SYN/ACK, RST:
 * its listener never completes the handshake, so {@code accept()} never returns. The close runs on
 * the loop thread right after the connect readiness event, far inside the 200 ms window unless the
 * loop thread is starved for that long.
 *
 * <p>[1] HAProxy configuration manual, "option tcp-check" and "tcp-check connect"; HAProxy closes
 * health-check connections with a reset to spare TIME_WAIT. [2] Linux v6.x, tcp_input.c.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class TcpChecker extends BaseChecker {

  private final boolean reset;
  private final boolean halfOpen;

  TcpChecker(String name, boolean reset, boolean halfOpen) {
    super(name);
    this.reset = reset || halfOpen;
    this.halfOpen = halfOpen;
  }

  @Override
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    return new Probe(this, target, timeoutNanos) {
      @Override
      void open() throws IOException {
        SocketChannel ch = openTcp();
        if (reset) {
          ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        }
        if (halfOpen) {
          ch.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, false);
        }
        connect(ch);
      }

      @Override
      void connectFailed(IOException e) {
        // ECONNRESET while connecting means the SYN/ACK came and the established connection was
        // then reset (an RST answering the SYN gives ECONNREFUSED): the port accepted, which is all
        // this check asks.
        if (Failures.reason(e) == io.github.lb4j.api.HealthReason.RESET) {
          succeed(halfOpen ? "SYN/ACK received, then reset by the server" : "connected, then reset by the server");
        } else {
          fail(e);
        }
      }

      @Override
      void connected() {
        succeed(halfOpen ? "SYN/ACK received, answered with RST" : reset ? "connected, closed with RST" : "connected, closed with FIN");
      }

      @Override
      String waitingFor() {
        return "no SYN/ACK";
      }
    };
  }

  /** Whether this JVM can set {@code TCP_QUICKACK} on a socket channel (Linux). */
  static boolean quickAckSupported() {
    try (SocketChannel ch = SocketChannel.open()) {
      return ch.supportedOptions().contains(jdk.net.ExtendedSocketOptions.TCP_QUICKACK);
    } catch (IOException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
