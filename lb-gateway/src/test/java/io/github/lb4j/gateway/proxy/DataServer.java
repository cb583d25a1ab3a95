package io.github.lb4j.gateway.proxy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real TCP server for byte-level tests, one thread per connection. The first byte picks the job:
 * {@code 'U'} reads until the client's FIN, then answers the SHA-256 of what it read and closes
 * (upload and half-close); {@code 'D'} reads an 8-byte length and sends that many bytes of {@link
 * #pattern} then closes (download); any other first byte is echoed with what follows it in one read (to see a PROXY header).
 */
final class DataServer implements AutoCloseable {

  private final ServerSocket server;
  private final Thread acceptor;
  final AtomicInteger connections = new AtomicInteger();

  DataServer() throws IOException {
    server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "data-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        connections.incrementAndGet();
        Thread t = new Thread(() -> serve(s), "data-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      int job = in.read();
      if (job == 'U') {
        MessageDigest md = sha256();
        byte[] buf = new byte[64 * 1024];
        int n;
        long total = 0;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
          total += n;
        }
        DataOutputStream d = new DataOutputStream(out);
        d.writeLong(total);
        d.write(md.digest());
        d.flush();
        lingerUntilPeerCloses(s);
      } else if (job == 'D') {
        long len = new DataInputStream(in).readLong();
        byte[] chunk = new byte[64 * 1024];
        long sent = 0;
        while (sent < len) {
          int n = (int) Math.min(chunk.length, len - sent);
          pattern(sent, chunk, n);
          out.write(chunk, 0, n);
          sent += n;
        }
        out.flush();
        lingerUntilPeerCloses(s);
      } else if (job >= 0) {
        byte[] buf = new byte[256];
        buf[0] = (byte) job;
        int n = in.read(buf, 1, buf.length - 1);
        out.write(buf, 0, 1 + Math.max(0, n));
        out.flush();
      }
    } catch (IOException e) {
      // The test on the other side reports what it missed.
    }
  }

  /**
   * Sends FIN and waits for the peer's before closing, so the socket is never orphaned with bytes
   * still queued: under TCP memory pressure (a shared test machine) Linux resets orphaned sockets
   * ("TCP: out of memory"), which would cut the stream the test checks.
   */
  private static void lingerUntilPeerCloses(Socket s) throws IOException {
    s.shutdownOutput();
    InputStream in = s.getInputStream();
    byte[] sink = new byte[4096];
    while (in.read(sink) >= 0) {
      // Nothing more is expected; the loop ends at the peer's FIN.
    }
  }

  /** Fills {@code buf[0..n)} with the bytes at stream offset {@code at} of a fixed pseudo-random stream. */
  static void pattern(long at, byte[] buf, int n) {
    for (int i = 0; i < n; i++) {
      long x = (at + i) * 0x9E3779B97F4A7C15L;
      buf[i] = (byte) (x >>> 56 ^ x >>> 29);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
