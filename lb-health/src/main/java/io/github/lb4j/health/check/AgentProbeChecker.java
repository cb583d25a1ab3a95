package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.health.AgentChecker;
import io.github.lb4j.health.AgentReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * [agent]: connects, writes the optional {@code send} bytes, and reads until the first CR or LF,
 * as HAProxy's {@code tcpcheck_agent_expect_reply}. The agent closing before a line end is an
 * incomplete line (HAProxy ignores it: "Ignoring incomplete line from agent"), as is a NUL byte
 * (HAProxy reads the line as a C string); more than {@code max-line-bytes} without a line end is
 * refused too. Those are {@link HealthReason#PROTOCOL_ERROR} results with the bytes received.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class AgentProbeChecker extends BaseChecker implements AgentChecker {

  private final byte[] send;
  private final int maxLine;
  /** The probe {@link #newProbe} made on this thread, read back by {@link #query} right after. */
  private final ThreadLocal<@Nullable AgentProbe> made = new ThreadLocal<>();

  AgentProbeChecker(String name, byte[] send, int maxLine) {
    super(name);
    this.send = send.clone();
    this.maxLine = maxLine;
  }

  @Override
  public CompletableFuture<AgentReport> query(InetSocketAddress target, Duration timeout) {
    made.remove();
    CompletableFuture<HealthResult> result;
    AgentProbe probe;
    try {
      result = check(target, timeout);
      probe = made.get();
    } finally {
      made.remove();
    }
    AgentProbe p = probe;
    return result.thenApply(r -> p == null ? AgentReport.noAnswer(r) : p.report(r));
  }

  @Override
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    AgentProbe p = new AgentProbe(target, timeoutNanos);
    made.set(p);
    return p;
  }

  /** One agent query on the loop thread. */
  private final class AgentProbe extends Probe {
    private final StringBuilder received = new StringBuilder();
    private @Nullable ByteBuffer out;
    /** Written on the loop thread before the future completes, read after it. */
    private @Nullable AgentReport report;

    AgentProbe(InetSocketAddress target, long timeoutNanos) {
      super(AgentProbeChecker.this, target, timeoutNanos);
    }

    AgentReport report(HealthResult r) {
      AgentReport parsed = report;
      return parsed != null && parsed.result() == r ? parsed : AgentReport.noAnswer(r);
    }

    @Override
    void open() throws IOException {
      connect(openTcp());
    }

    @Override
    void connected() throws IOException {
      if (send.length > 0) {
        out = ByteBuffer.wrap(send);
        writable();
      } else {
        interest(SelectionKey.OP_READ);
      }
    }

    @Override
    void writable() throws IOException {
      ByteBuffer b = out;
      if (b != null) {
        ((SocketChannel) channel).write(b);
        if (b.hasRemaining()) {
          interest(SelectionKey.OP_WRITE);
          return;
        }
        out = null;
      }
      interest(SelectionKey.OP_READ);
    }

    @Override
    void readable() throws IOException {
      ByteBuffer buf = owner.loop.readBuffer();
      int n = ((SocketChannel) channel).read(buf);
      if (n < 0) {
        finish(HealthReason.PROTOCOL_ERROR, received.length() == 0 ? "agent closed without answering"
            : "incomplete line, no CR or LF before the agent closed: '" + UdpChecker.printable(bytes()) + "'");
        return;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        byte b = buf.get();
        if (b == '\r' || b == '\n') {
          AgentReport r = AgentReport.parse(received.toString(), elapsed());
          report = r;
          complete(r.result());
          return;
        }
        if (b == 0) {
          finish(HealthReason.PROTOCOL_ERROR, "NUL byte in the agent's line after '" + UdpChecker.printable(bytes()) + "'");
          return;
        }
        received.append((char) (b & 0xFF));
        if (received.length() > maxLine) {
          finish(HealthReason.PROTOCOL_ERROR, "no CR or LF within " + maxLine + " bytes from the agent");
          return;
        }
      }
    }

    private byte[] bytes() {
      return received.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    String waitingFor() {
      return !handshakeDone ? "no SYN/ACK" : received.length() == 0 ? "no answer from the agent" : "no CR or LF from the agent";
    }
  }
}
