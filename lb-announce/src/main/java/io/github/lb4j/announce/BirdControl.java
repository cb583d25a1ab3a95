package io.github.lb4j.announce;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A client of BIRD's control socket, the protocol {@code birdc} speaks: one command per line; the
 * answer is lines of a four-digit code and text, {@code "1234-text"} while more follow and {@code
 * "1234 text"} for the last, a line starting with a space continuing the previous code, and lines
 * starting with {@code '+'} being spontaneous messages. Codes 0000..0099 report success (0008
 * "already disabled", 0009 "disabled", 0010 "already enabled", 0011 "enabled"), 1000..2999 carry
 * tables, 8000..9999 are errors (BIRD's {@code doc/reply_codes}).
 *
 * <p>One thread; every call blocks at most the timeout given at connection, then throws.
 */
final class BirdControl implements AutoCloseable {

  /** One line of an answer. */
  record Line(int code, String text) {}

  private final SocketChannel channel;
  private final Selector selector;
  private final long timeoutNanos;
  private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
  private final StringBuilder pending = new StringBuilder();

  private BirdControl(SocketChannel channel, Selector selector, Duration timeout) {
    this.channel = channel;
    this.selector = selector;
    this.timeoutNanos = timeout.toNanos();
  }

  /** Connects and reads BIRD's greeting ({@code 0001 BIRD 2.x ready.}). */
  static BirdControl connect(Path socket, Duration timeout) throws IOException {
    SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    ch.configureBlocking(false);
    Selector sel = Selector.open();
    ch.register(sel, SelectionKey.OP_READ);
    BirdControl c = new BirdControl(ch, sel, timeout);
    try {
      List<Line> hello = c.answer();
      if (hello.isEmpty() || hello.get(hello.size() - 1).code() != 1) {
        throw new IOException("BIRD's control socket did not greet with 0001: " + hello);
      }
      return c;
    } catch (IOException e) {
      c.close();
      throw e;
    }
  }

  /** Sends one command and returns every line of its answer; throws naming the error for codes 8000 and above. */
  List<Line> command(String command) throws IOException {
    if (command.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("one BIRD command per line: " + command);
    }
    ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
    long deadline = System.nanoTime() + timeoutNanos;
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        waitUntil(deadline, command);
      }
    }
    List<Line> lines = answer();
    for (Line l : lines) {
      if (l.code() >= 8000) {
        throw new IOException("BIRD refused '" + command + "': " + l.code() + " " + l.text());
      }
    }
    return lines;
  }

  /** Reads lines up to the last one of an answer (a code followed by a space). */
  private List<Line> answer() throws IOException {
    List<Line> lines = new ArrayList<>();
    long deadline = System.nanoTime() + timeoutNanos;
    int code = -1;
    for (;;) {
      String line = readLine(deadline);
      if (line.startsWith("+")) {
        continue;
      }
      if (line.startsWith(" ")) {
        lines.add(new Line(code, line.substring(1)));
        continue;
      }
      if (line.length() < 5 || !Character.isDigit(line.charAt(0))) {
        throw new IOException("BIRD's control socket sent an unexpected line: '" + line + "'");
      }
      code = Integer.parseInt(line.substring(0, 4));
      lines.add(new Line(code, line.substring(5)));
      if (line.charAt(4) == ' ') {
        return lines;
      }
    }
  }

  private String readLine(long deadline) throws IOException {
    for (;;) {
      int nl = pending.indexOf("\n");
      if (nl >= 0) {
        String line = pending.substring(0, nl);
        pending.delete(0, nl + 1);
        return line;
      }
      in.clear();
      int n = channel.read(in);
      if (n < 0) {
        throw new IOException("BIRD closed its control socket");
      }
      if (n == 0) {
        waitUntil(deadline, "an answer");
        continue;
      }
      in.flip();
      pending.append(StandardCharsets.US_ASCII.decode(in));
    }
  }

  private void waitUntil(long deadline, String what) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new IOException("BIRD did not answer " + what + " within " + timeoutNanos / 1_000_000 + " ms");
    }
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException e) {
      // nothing to do on the way out
    }
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do on the way out
    }
  }
}
