package io.github.lb4j.gateway.http;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One TCP connection with its read and write buffers: reads message heads line by line under their
 * size limits and deadline, reads chunk lines, copies bodies. A read past its deadline throws {@link
 * SocketTimeoutException}; bytes that arrive after a message stay buffered for the next one
 * (pipelined requests are read in order, one at a time).
 *
 * <p>Confined to one thread at a time (a client connection's thread, or a backend connection's
 * borrower). Allocates only when a head outgrows the initial buffer; blocks in reads and writes.
 */
final class Wire implements Closeable {

  private static final byte CR = '\r';
  private static final byte LF = '\n';

  /** A write to this connection failed: tells the caller which side of a relay broke. */
  static final class WriteFailed extends IOException {
    private static final long serialVersionUID = 1L;

    WriteFailed(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  final Socket socket;
  private final @Nullable SocketChannel channel;
  private final InputStream in;
  private final OutputStream out;
  private final int maxBuffer;
  byte[] buf;
  int pos;
  int lim;
  private final byte[] obuf;
  private int olen;
  private int[] starts = new int[32];
  private int[] ends = new int[32];
  /** Whether any byte of the current head has arrived (for telling a quiet close from a cut head). */
  boolean started;
  /** For pooled backend connections: when it went idle, and whether it served before. */
  long idleSinceNanos;
  boolean reused;

  Wire(Socket socket, @Nullable SocketChannel channel, int bufferSize, int maxBuffer) throws IOException {
    this.socket = socket;
    this.channel = channel;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.buf = new byte[bufferSize];
    this.obuf = new byte[bufferSize];
    this.maxBuffer = Math.max(bufferSize, maxBuffer);
  }

  /**
   * The deadline of the read in progress (System.nanoTime), or 0. A read with a socket timeout
   * would arm and cancel a timer per read; instead a sweeper ({@link #expireRead}) shuts the input
   * of a connection whose read outlived its deadline, and the reader sees a timeout.
   */
  private volatile long readDeadline;
  private volatile boolean timedOut;

  /** Reads into buf after lim; -1 at end of stream. */
  private int read(long deadlineNanos) throws IOException {
    if (timedOut || (deadlineNanos != 0 && deadlineNanos - System.nanoTime() <= 0)) {
      throw new SocketTimeoutException("deadline passed");
    }
    readDeadline = deadlineNanos;
    int n;
    try {
      n = in.read(buf, lim, buf.length - lim);
    } catch (IOException e) {
      if (timedOut) {
        throw new SocketTimeoutException("deadline passed");
      }
      throw e;
    } finally {
      readDeadline = 0;
    }
    if (n < 0 && timedOut) {
      throw new SocketTimeoutException("deadline passed");
    }
    return n;
  }

  /** Ends a read that outlived its deadline (called by the sweeper, any thread). */
  void expireRead(long now) {
    long d = readDeadline;
    if (d != 0 && now - d > 0) {
      timedOut = true;
      try {
        socket.shutdownInput();
      } catch (IOException e) {
        close();
      }
    }
  }

  /** Whether a read of this connection timed out (it must not be reused). */
  boolean timedOut() {
    return timedOut;
  }

  /** Reads more bytes after lim, growing the buffer up to its maximum; -1 at end of stream. */
  int fill(long deadlineNanos) throws IOException {
    return fill(deadlineNanos, true);
  }

  /** As {@link #fill(long)}; without compaction when indices into the buffer must stay valid. */
  private int fill(long deadlineNanos, boolean mayCompact) throws IOException {
    if (lim == buf.length) {
      if (pos > 0 && mayCompact) {
        compact();
      } else if (buf.length < maxBuffer) {
        buf = Arrays.copyOf(buf, Math.min(maxBuffer, buf.length * 2));
      } else {
        throw new IllegalStateException("buffer full");
      }
    }
    int n = read(deadlineNanos);
    if (n > 0) {
      lim += n;
    }
    return n;
  }

  void compact() {
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, lim - pos);
      lim -= pos;
      pos = 0;
    }
  }

  int buffered() {
    return lim - pos;
  }

  /**
   * Reads one head: the start line and the field lines, each ended by CRLF, then an empty line.
   * A bare LF or CR is refused (RFC 9112 2.2 allows refusing them, and accepting them is how
   * parsers start to disagree); up to four empty lines before a request line are skipped (2.2).
   *
   * @param request a request (limits give 414 and 431) or a response (any excess is 502)
   * @param firstByteDeadline the deadline for the first byte, in System.nanoTime terms (0: none)
   * @param headNanos the time the whole head may take once its first byte arrived (0: none)
   * @return the head, or null when the peer closed the connection before sending a byte
   * @throws HttpError for a malformed or too large head
   * @throws SocketTimeoutException when a deadline passed
   */
  @Nullable Head readHead(boolean request, HttpLimits limits, long firstByteDeadline, long headNanos) throws IOException {
    compact();
    started = lim > pos;
    long deadline = started && headNanos > 0 ? System.nanoTime() + headNanos : firstByteDeadline;
    int scan = pos;
    int lineStart = pos;
    int lines = 0;
    int skipped = 0;
    int headerBytes = 0;
    int maxHead = limits.maxHeadBytes();
    int fieldLimit = request ? limits.maxHeaders() : Math.max(limits.maxHeaders(), 256);
    while (true) {
      int nl = indexOfLf(scan, lim);
      if (nl < 0) {
        scan = lim;
        if (lines == 0 && lim - lineStart > limits.maxRequestLine()) {
          throw request ? new HttpError(414, "request line too long") : new HttpError(502, "status line too long");
        }
        if (lim - pos >= maxHead || (lines > 0 && headerBytes + (lim - lineStart) > limits.maxHeaderBytes())) {
          throw request ? new HttpError(431, "request header section too large") : new HttpError(502, "response head too large");
        }
        int n = fill(deadline, false);
        if (n < 0) {
          if (!started) {
            return null;
          }
          throw new EOFException("connection closed within a message head");
        }
        if (!started) {
          started = true;
          if (headNanos > 0) {
            deadline = System.nanoTime() + headNanos;
          }
        }
        continue;
      }
      if (nl == lineStart || buf[nl - 1] != CR) {
        throw new HttpError(request ? 400 : 502, "bare LF as a line ending");
      }
      int end = nl - 1;
      for (int i = lineStart; i < end; i++) {
        if (buf[i] == CR) {
          throw new HttpError(request ? 400 : 502, "bare CR in a message head");
        }
      }
      if (end == lineStart) {
        if (lines == 0) {
          if (!request || ++skipped > 4) {
            throw new HttpError(request ? 400 : 502, "empty lines before the start line");
          }
          pos = lineStart = scan = nl + 1;
          continue;
        }
        pos = nl + 1;
        return request ? HeadParser.request(buf, starts, ends, lines) : HeadParser.response(buf, starts, ends, lines);
      }
      if (lines == 0) {
        if (end - lineStart > limits.maxRequestLine()) {
          throw request ? new HttpError(414, "request line too long") : new HttpError(502, "status line too long");
        }
      } else {
        headerBytes += nl + 1 - lineStart;
        if (headerBytes > limits.maxHeaderBytes()) {
          throw request ? new HttpError(431, "request header section too large") : new HttpError(502, "response head too large");
        }
        if (lines > fieldLimit) {
          throw request ? new HttpError(431, "too many header fields") : new HttpError(502, "too many response header fields");
        }
      }
      if (lines == starts.length) {
        starts = Arrays.copyOf(starts, lines * 2);
        ends = Arrays.copyOf(ends, lines * 2);
      }
      starts[lines] = lineStart;
      ends[lines] = end;
      lines++;
      lineStart = scan = nl + 1;
    }
  }

  private int indexOfLf(int from, int to) {
    byte[] b = buf;
    for (int i = from; i < to; i++) {
      if (b[i] == LF) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Reads one CRLF-terminated line of at most max bytes (a chunk-size line, a trailer line); on
   * return the line is [pos, returned end) and pos is past its CRLF.
   *
   * @return the line's end index (before CR); its start is the value of {@code pos} before the call,
   *     which is kept in {@code lineStart}
   */
  int readLine(int max, long deadlineNanos, int badStatus) throws IOException {
    int scan = pos;
    while (true) {
      int nl = indexOfLf(scan, lim);
      if (nl >= 0) {
        if (nl == pos || buf[nl - 1] != CR) {
          throw new HttpError(badStatus, "bare LF in chunked framing");
        }
        for (int i = pos; i < nl - 1; i++) {
          if (buf[i] == CR) {
            throw new HttpError(badStatus, "bare CR in chunked framing");
          }
        }
        lineStart = pos;
        pos = nl + 1;
        return nl - 1;
      }
      if (lim - pos > max) {
        throw new HttpError(badStatus, "chunk line too long");
      }
      int off = lim - pos;
      if (fill(deadlineNanos) < 0) {
        throw new EOFException("connection closed within chunked framing");
      }
      scan = pos + off;
    }
  }

  int lineStart;

  /** Makes at least n bytes available (n at most the buffer's size). */
  void require(int n, long deadlineNanos) throws IOException {
    while (lim - pos < n) {
      if (fill(deadlineNanos) < 0) {
        throw new EOFException("connection closed within a message body");
      }
    }
  }

  /**
   * Copies exactly n body bytes to another wire (or drops them when to is null), waiting at most
   * idleNanos for each read.
   */
  void copy(long n, @Nullable Wire to, long idleNanos) throws IOException {
    while (n > 0) {
      if (pos == lim) {
        pos = lim = 0;
        if (fill(idleNanos == 0 ? 0 : System.nanoTime() + idleNanos) < 0) {
          throw new EOFException("connection closed within a message body");
        }
      }
      int k = (int) Math.min(n, lim - pos);
      if (to != null) {
        to.write(buf, pos, k);
      }
      pos += k;
      n -= k;
    }
  }

  /** Copies everything until the peer closes (a response delimited by the close of its connection). */
  long copyToEnd(Wire to, long idleNanos) throws IOException {
    long total = 0;
    while (true) {
      if (pos < lim) {
        to.write(buf, pos, lim - pos);
        total += lim - pos;
      }
      pos = lim = 0;
      if (fill(idleNanos == 0 ? 0 : System.nanoTime() + idleNanos) < 0) {
        return total;
      }
    }
  }

  // ---- output

  void write(byte[] b, int off, int len) throws IOException {
    if (olen + len <= obuf.length) {
      System.arraycopy(b, off, obuf, olen, len);
      olen += len;
      return;
    }
    flush();
    if (len >= obuf.length / 2) {
      rawWrite(b, off, len);
    } else {
      System.arraycopy(b, off, obuf, 0, len);
      olen = len;
    }
  }

  void writeAscii(String s) throws IOException {
    int n = s.length();
    if (olen + n > obuf.length) {
      flush();
      if (n > obuf.length) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
          b[i] = (byte) s.charAt(i);
        }
        rawWrite(b, 0, b.length);
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      obuf[olen++] = (byte) s.charAt(i);
    }
  }

  void writeField(String name, String value) throws IOException {
    writeAscii(name);
    writeAscii(": ");
    writeAscii(value);
    writeAscii("\r\n");
  }

  void crlf() throws IOException {
    if (olen + 2 > obuf.length) {
      flush();
    }
    obuf[olen++] = CR;
    obuf[olen++] = LF;
  }

  void flush() throws IOException {
    if (olen > 0) {
      int n = olen;
      olen = 0;
      rawWrite(obuf, 0, n);
    }
  }

  /** Bytes handed to the socket so far. */
  long sent;

  /**
   * When the write in progress started (System.nanoTime, never 0), or 0: a socket write has no
   * timeout of its own, so a sweeper closes a connection whose peer stopped reading.
   */
  volatile long writingSince;

  private void rawWrite(byte[] b, int off, int len) throws IOException {
    writingSince = System.nanoTime() | 1;
    try {
      out.write(b, off, len);
      sent += len;
    } catch (IOException e) {
      throw new WriteFailed(e);
    } finally {
      writingSince = 0;
    }
  }

  /** Closes the connection when a write has been blocked longer than the limit; any thread. */
  void closeIfWriteStalled(long now, long limitNanos) {
    long since = writingSince;
    if (since != 0 && now - since > limitNanos) {
      close();
    }
  }

  /**
   * After an answer that ends the connection: stops sending, then reads and drops what the peer
   * still sends (at most maxBytes, for at most waitNanos), so that closing with unread bytes does
   * not send a reset that would destroy the answer in flight (HAProxy's lingering close).
   */
  void lingeringClose(int maxBytes, long waitNanos) {
    try {
      flush();
      socket.shutdownOutput();
      long deadline = System.nanoTime() + waitNanos;
      int dropped = 0;
      pos = lim = 0;
      while (dropped < maxBytes) {
        int n = fill(deadline);
        if (n < 0) {
          break;
        }
        dropped += n;
        pos = lim = 0;
      }
    } catch (IOException e) {
      // timed out or reset: close now
    }
    close();
  }

  /** Drops pending output (a response replaced by an error page before any byte went out). */
  void discardOutput() {
    olen = 0;
  }

  /**
   * Whether an idle pooled connection is still usable: nothing buffered, and a non-blocking read
   * finds neither end of stream nor unsolicited bytes (a backend that closed its idle connection
   * has sent its FIN by now; reusing it would fail the next request).
   */
  boolean idleAndOpen() {
    if (pos != lim || channel == null || !channel.isOpen()) {
      return false;
    }
    try {
      channel.configureBlocking(false);
      int n = channel.read(ByteBuffer.wrap(buf, lim, buf.length - lim));
      channel.configureBlocking(true);
      return n == 0;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing: nothing left to do with it
    }
  }
}
