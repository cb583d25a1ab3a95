package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * [tcp-script]: connects, then runs a sequence of send and expect steps, as HAProxy's {@code
 * tcp-check send} / {@code tcp-check expect string|rstring} rules do (HAProxy configuration manual,
 * "tcp-check expect"). An expect step waits until the bytes received since the previous expect
 * contain its string or match its regular expression (read as ISO-8859-1, so any byte matches
 * itself); the peer closing first, or more than {@link #MAX_EXPECT_BYTES} without a match, fails it
 * with {@link HealthReason#UNEXPECTED_REPLY}.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class ScriptChecker extends BaseChecker {

  static final int MAX_EXPECT_BYTES = 16 * 1024;

  /** One step: bytes to send, or a string or pattern to expect. */
  static final class Step {
    final byte @Nullable [] send;
    final @Nullable String expect;
    final @Nullable Pattern expectRegex;
    final String text;

    Step(byte @Nullable [] send, @Nullable String expect, @Nullable Pattern expectRegex, String text) {
      this.send = send;
      this.expect = expect;
      this.expectRegex = expectRegex;
      this.text = text;
    }
  }

  private final List<Step> steps;

  ScriptChecker(String name, List<Step> steps) {
    super(name);
    this.steps = List.copyOf(steps);
  }

  @Override
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    return new Probe(this, target, timeoutNanos) {
      private int step;
      private @Nullable ByteBuffer out;
      private final StringBuilder received = new StringBuilder();

      @Override
      void open() throws IOException {
        connect(openTcp());
      }

      @Override
      void connected() throws IOException {
        advance();
      }

      /** Runs send steps until an expect step needs data or the script ends. */
      private void advance() throws IOException {
        while (!done()) {
          if (out != null) {
            ((SocketChannel) channel).write(out);
            if (out.hasRemaining()) {
              interest(SelectionKey.OP_WRITE);
              return;
            }
            out = null;
          }
          if (step == steps.size()) {
            succeed(steps.size() + " steps passed");
            return;
          }
          Step s = steps.get(step);
          if (s.send != null) {
            out = ByteBuffer.wrap(s.send);
            step++;
            continue;
          }
          if (matches(s)) {
            received.setLength(0);
            step++;
            continue;
          }
          interest(SelectionKey.OP_READ);
          return;
        }
      }

      private boolean matches(Step s) {
        if (s.expect != null) {
          return received.indexOf(s.expect) >= 0;
        }
        return s.expectRegex != null && s.expectRegex.matcher(received).find();
      }

      @Override
      void writable() throws IOException {
        advance();
      }

      @Override
      void readable() throws IOException {
        ByteBuffer buf = owner.loop.readBuffer();
        int n = ((SocketChannel) channel).read(buf);
        Step s = steps.get(step);
        if (n < 0) {
          finish(HealthReason.UNEXPECTED_REPLY, "step " + (step + 1) + " (" + s.text + "): connection closed, received '"
              + UdpChecker.printable(received.toString().getBytes(StandardCharsets.ISO_8859_1)) + "'");
          return;
        }
        buf.flip();
        while (buf.hasRemaining()) {
          received.append((char) (buf.get() & 0xFF));
        }
        if (matches(s)) {
          received.setLength(0);
          step++;
          advance();
        } else if (received.length() > MAX_EXPECT_BYTES) {
          finish(HealthReason.UNEXPECTED_REPLY, "step " + (step + 1) + " (" + s.text + "): no match in " + received.length() + " bytes");
        }
      }

      @Override
      String waitingFor() {
        if (!handshakeDone) {
          return "no SYN/ACK";
        }
        return step < steps.size() ? "step " + (step + 1) + " (" + steps.get(step).text + ") not passed" : "script not finished";
      }
    };
  }
}
