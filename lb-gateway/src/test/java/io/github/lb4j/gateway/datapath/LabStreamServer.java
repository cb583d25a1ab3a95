package io.github.lb4j.gateway.datapath;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A real server of the scale-out lab for long-lived connections: answers every line it reads with
 * its name and the line ({@code s2 ping 17}), for as long as the client keeps the connection. Run
 * in a server's namespace: {@code LabStreamServer NAME ADDRESS PORT}. It listens on the wildcard
 * address when ADDRESS is {@code ::}, as the second-chance rule of the servers expects (an
 * established connection's socket is bound to the VIP, the listener is not). One virtual thread per
 * connection; stops on SIGTERM.
 */
final class LabStreamServer {

  private LabStreamServer() {}

  public static void main(String[] args) throws IOException {
    String name = args[0];
    try (ServerSocket listener = new ServerSocket()) {
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2])), 1024);
      System.out.println("listening " + name);
      System.out.flush();
      for (;;) {
        Socket s = listener.accept();
        Thread.ofVirtual().start(() -> serve(s, name));
      }
    }
  }

  private static void serve(Socket s, String name) {
    try (s) {
      s.setTcpNoDelay(true);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      for (String line; (line = in.readLine()) != null; ) {
        out.write((name + " " + line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    }
  }
}
