package io.github.lb4j.gateway.datapath;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A real server of the lab that answers every HTTP request with a large body, so that a download
 * needs full-size segments (path-MTU discovery through the balancer): {@code LabBulkServer NAME
 * ADDRESS PORT BYTES}. One thread per connection; stops on SIGTERM (the lab kills it).
 */
final class LabBulkServer {

  private LabBulkServer() {}

  public static void main(String[] args) throws IOException {
    String name = args[0];
    int bytes = Integer.parseInt(args[3]);
    byte[] body = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      body[i] = (byte) ('a' + i % 26);
    }
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Backend: " + name
        + "\r\nContent-Length: " + bytes + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    try (ServerSocket listener = new ServerSocket()) {
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2])));
      System.out.println("listening " + name);
      System.out.flush();
      for (;;) {
        Socket s = listener.accept();
        Thread t = new Thread(() -> serve(s, head, body), "bulk-" + name);
        t.setDaemon(true);
        t.start();
      }
    }
  }

  private static void serve(Socket s, byte[] head, byte[] body) {
    try (s) {
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      int state = 0;
      // the request ends at its empty line; a health check connects and closes without one
      while (state < 4) {
        int c = in.read();
        if (c < 0) {
          return;
        }
        state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
      }
      OutputStream out = s.getOutputStream();
      out.write(head);
      out.write(body);
      out.flush();
    } catch (IOException e) {
      // the client went away
    }
  }
}
