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
 * <p>Two modes over one channel: blocking (streams, for a {@link ClientSession}: reads and writes
 * block) and non-blocking ({@link #nonBlocking}, for an event loop: {@link #readSome}, {@link
 * #scanHead} and {@link #flushSome} never block, and output grows its buffer instead of waiting).
 * Confined to one thread at a time (its loop, a client connection's thread, or a backend
 * connection's borrower). Allocates only when a head outgrows the initial buffer.
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
  final SocketChannel channel;
  private @Nullable InputStream in;
  private @Nullable OutputStream out;
  private final int maxBuffer;
  byte[] buf;
  int pos;
  int lim;
  private byte[] obuf;
  int olen;
  private int[] starts = new int[32];
  private int[] ends = new int[32];
  /** The head being scanned (kept across calls, so a head that trickles in is scanned once). */
  private int scan = -1;
  private int headLineStart;
  private int headLines;
  private int headSkipped;
  private int headerBytes;
  /** Views of buf and obuf for the channel, rebuilt when a buffer grows. */
  private ByteBuffer inView;
  private ByteBuffer outView;
  /**
   * Whether the channel is non-blocking, served by an event loop: then output that outgrows the
   * buffer grows it instead of blocking in a write, and the caller flushes with {@link #flushSome}.
   */
  boolean nonBlocking;
  /** The backend a pooled connection leads to; its event-loop owner while an exchange uses it. */
  io.github.lb4j.api.@Nullable Backend backend;
  @Nullable LoopSession owner;
  java.nio.channels.@Nullable SelectionKey key;
  /** Whether any byte of the current head has arrived (for telling a quiet close from a cut head). */
  boolean started;
  /** For pooled backend connections: when it went idle, and whether it served before. */
  long idleSinceNanos;
  boolean reused;

  Wire(SocketChannel channel, int bufferSize, int maxBuffer) {
    this.socket = channel.socket();
    this.channel = channel;
    this.buf = new byte[bufferSize];
    this.obuf = new byte[bufferSize];
    this.inView = ByteBuffer.wrap(buf);
    this.outView = ByteBuffer.wrap(obuf);
    this.maxBuffer = Math.max(bufferSize, maxBuffer);
  }

  private InputStream in() throws IOException {
    InputStream i = in;
    if (i == null) {
      in = i = socket.getInputStream();
    }
    return i;
  }

  private OutputStream out() throws IOException {
    OutputStream o = out;
    if (o == null) {
      out = o = socket.getOutputStream();
    }
    return o;
  }

  /**
   * Reads what the non-blocking channel has after lim, growing the buffer up to its maximum (a
   * full buffer at its maximum reads nothing).
   *
   * @return the bytes read, 0 when none are ready or there is no room, -1 at end of stream
   */
  int readSome() throws IOException {
    if (lim == buf.length) {
      if (pos > 0 && scan < 0) {
        compact();
      } else if (buf.length < maxBuffer) {
        grow();
      } else {
        return 0;
      }
    }
    ByteBuffer v = inView;
    v.limit(buf.length).position(lim);
    int n = channel.read(v);
    if (n > 0) {
      lim += n;
    }
    return n;
  }

  /** Whether the read buffer is full at its largest size. */
  boolean full() {
    return lim == buf.length && buf.length >= maxBuffer && (pos == 0 || scan >= 0);
  }

  private void grow() {
    buf = Arrays.copyOf(buf, Math.min(maxBuffer, buf.length * 2));
    inView = ByteBuffer.wrap(buf);
  }

  /**
   * Writes what the non-blocking channel takes of the pending output.
   *
   * @return whether everything went out
   * @throws WriteFailed when the peer is gone
   */
  boolean flushSome() throws WriteFailed {
    if (olen == 0) {
      return true;
    }
    ByteBuffer v = outView;
    v.limit(olen).position(0);
    int n;
    try {
      n = channel.write(v);
    } catch (IOException e) {
      throw new WriteFailed(e);
    }
    sent += n;
    if (n == olen) {
      olen = 0;
      return true;
    }
    System.arraycopy(obuf, n, obuf, 0, olen - n);
    olen -= n;
    return false;
  }

  /** Room left in the output buffer without growing it. */
  int outputRoom() {
    return obuf.length - olen;
  }

  private void ensureOutput(int more) {
    int need = olen + more;
    if (need > obuf.length) {
      obuf = Arrays.copyOf(obuf, Math.max(need, obuf.length * 2));
      outView = ByteBuffer.wrap(obuf);
    }
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
      n = in().read(buf, lim, buf.length - lim);
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
        grow();
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
    beginHead();
    started = lim > pos;
    long deadline = started && headNanos > 0 ? System.nanoTime() + headNanos : firstByteDeadline;
    while (true) {
      Head h = scanHead(request, limits);
      if (h != null) {
        return h;
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
    }
  }

  /** Starts a new head: moves what is buffered to the front, so the head's indices stay valid. */
  void beginHead() {
    compact();
    scan = headLineStart = pos;
    headLines = headSkipped = headerBytes = 0;
  }

  /**
   * Scans what arrived of a head since the last call, without reading: the head when its empty
   * line is in, else null (call again once more bytes are in). Limits are checked as bytes
   * arrive. The buffer is not compacted while a head is scanned (it may grow).
   *
   * @throws HttpError for a malformed or too large head
   */
  @Nullable Head scanHead(boolean request, HttpLimits limits) {
    if (scan < 0) {
      beginHead();
    }
    int fieldLimit = request ? limits.maxHeaders() : Math.max(limits.maxHeaders(), 256);
    while (true) {
      int nl = indexOfLf(scan, lim);
      if (nl < 0) {
        scan = lim;
        if (headLines == 0 && lim - headLineStart > limits.maxRequestLine()) {
          throw request ? new HttpError(414, "request line too long") : new HttpError(502, "status line too long");
        }
        if (lim - pos >= limits.maxHeadBytes()
            || (headLines > 0 && headerBytes + (lim - headLineStart) > limits.maxHeaderBytes())) {
          throw request ? new HttpError(431, "request header section too large") : new HttpError(502, "response head too large");
        }
        return null;
      }
      int lineStart = headLineStart;
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
        if (headLines == 0) {
          if (!request || ++headSkipped > 4) {
            throw new HttpError(request ? 400 : 502, "empty lines before the start line");
          }
          pos = headLineStart = scan = nl + 1;
          continue;
        }
        pos = nl + 1;
        int lines = headLines;
        scan = -1;
        return request ? HeadParser.request(buf, starts, ends, lines) : HeadParser.response(buf, starts, ends, lines);
      }
      if (headLines == 0) {
        if (end - lineStart > limits.maxRequestLine()) {
          throw request ? new HttpError(414, "request line too long") : new HttpError(502, "status line too long");
        }
      } else {
        headerBytes += nl + 1 - lineStart;
        if (headerBytes > limits.maxHeaderBytes()) {
          throw request ? new HttpError(431, "request header section too large") : new HttpError(502, "response head too large");
        }
        if (headLines > fieldLimit) {
          throw request ? new HttpError(431, "too many header fields") : new HttpError(502, "too many response header fields");
        }
      }
      if (headLines == starts.length) {
        starts = Arrays.copyOf(starts, headLines * 2);
        ends = Arrays.copyOf(ends, headLines * 2);
      }
      starts[headLines] = lineStart;
      ends[headLines] = end;
      headLines++;
      headLineStart = scan = nl + 1;
    }
  }

  /** Whether part of a head has arrived and is not complete yet. */
  boolean headStarted() {
    return lim > pos;
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
    if (nonBlocking) {
      ensureOutput(len);
    }
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
    if (nonBlocking) {
      ensureOutput(n);
    }
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
    if (nonBlocking) {
      ensureOutput(2);
    }
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
      out().write(b, off, len);
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
    if (pos != lim || !channel.isOpen()) {
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
