package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * [udp]: sends one datagram and expects a reply, optionally containing given bytes. The socket is
 * connected, so an ICMP port unreachable from the target surfaces as {@link HealthReason#REFUSED}
 * (Linux reports it on the next receive, RFC 1122 §4.1.3.3). This is keepalived's {@code
 * UDP_CHECK} with {@code require_reply}.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class UdpChecker extends BaseChecker {

  private final byte[] send;
  private final byte @Nullable [] expect;

  UdpChecker(String name, byte[] send, byte @Nullable [] expect) {
    super(name);
    this.send = send;
    this.expect = expect;
  }

  @Override
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    return new Probe(this, target, timeoutNanos) {
      @Override
      void open() throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        channel = ch;
        ch.configureBlocking(false);
        ch.connect(target);
        ch.write(ByteBuffer.wrap(send));
        register(ch, SelectionKey.OP_READ);
      }

      @Override
      void readable() throws IOException {
        ByteBuffer buf = owner.loop.readBuffer();
        int n = ((DatagramChannel) channel).read(buf);
        if (n <= 0) {
          return;
        }
        buf.flip();
        byte[] got = new byte[buf.remaining()];
        buf.get(got);
        byte[] e = expect;
        if (e == null || indexOf(got, e) >= 0) {
          succeed("reply of " + n + " bytes");
        } else {
          finish(HealthReason.UNEXPECTED_REPLY, "reply '" + printable(got) + "' lacks '" + printable(e) + "'");
        }
      }

      @Override
      String waitingFor() {
        return "no reply";
      }
    };
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static String printable(byte[] b) {
    String s = new String(b, 0, Math.min(b.length, 60), StandardCharsets.ISO_8859_1);
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '.');
    }
    return b.length > 60 ? out + "..." : out.toString();
  }
}
