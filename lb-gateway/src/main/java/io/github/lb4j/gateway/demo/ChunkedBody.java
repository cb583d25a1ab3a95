package io.github.lb4j.gateway.demo;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Skips a chunked request body (RFC 9112 §7.1): {@code chunk-size [; ext] CRLF data CRLF}, then
 * {@code 0 CRLF}, trailer fields and an empty line. The bytes are discarded as they arrive; lines
 * longer than 4 KiB, a size that is not hex or overflows, or data not followed by CRLF are refused.
 *
 * <p>One per request, confined to the server's thread; allocates only its line buffer.
 */
final class ChunkedBody {

  private static final int MAX_LINE = 4096;
  private static final int MAX_SIZE_DIGITS = 15;

  private enum Phase { SIZE, DATA, DATA_END, TRAILERS, DONE }

  private final StringBuilder line = new StringBuilder();
  private Phase phase = Phase.SIZE;
  private long remaining;

  /**
   * Consumes body bytes from {@code in}; stops at the end of the body, leaving what follows.
   *
   * @param in the received bytes, in read mode
   * @return true once the whole body has been consumed
   * @throws RequestHead.Rejected with 400 when the framing is malformed
   */
  boolean consume(ByteBuffer in) throws RequestHead.Rejected {
    while (in.hasRemaining() && phase != Phase.DONE) {
      if (phase == Phase.DATA) {
        int n = (int) Math.min(remaining, in.remaining());
        in.position(in.position() + n);
        remaining -= n;
        if (remaining == 0) {
          phase = Phase.DATA_END;
        }
        continue;
      }
      String l = readLine(in);
      if (l == null) {
        continue;
      }
      switch (phase) {
        case SIZE -> {
          int semi = l.indexOf(';');
          String hex = (semi < 0 ? l : l.substring(0, semi)).strip();
          if (hex.isEmpty() || hex.length() > MAX_SIZE_DIGITS || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new RequestHead.Rejected(400, "bad chunk size '" + RequestHead.printable(l) + "'");
          }
          remaining = Long.parseLong(hex, 16);
          phase = remaining == 0 ? Phase.TRAILERS : Phase.DATA;
        }
        case DATA_END -> {
          if (!l.isEmpty()) {
            throw new RequestHead.Rejected(400, "chunk data not followed by CRLF");
          }
          phase = Phase.SIZE;
        }
        case TRAILERS -> {
          if (l.isEmpty()) {
            phase = Phase.DONE;
          }
        }
        default -> throw new IllegalStateException(phase.name());
      }
    }
    return phase == Phase.DONE;
  }

  private @Nullable String readLine(ByteBuffer in) throws RequestHead.Rejected {
    while (in.hasRemaining()) {
      char c = (char) (in.get() & 0xFF);
      if (c == '\n') {
        int end = line.length();
        String l = end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
        line.setLength(0);
        return l;
      }
      line.append(c);
      if (line.length() > MAX_LINE) {
        throw new RequestHead.Rejected(400, "chunk line longer than " + MAX_LINE + " bytes");
      }
    }
    return null;
  }
}
