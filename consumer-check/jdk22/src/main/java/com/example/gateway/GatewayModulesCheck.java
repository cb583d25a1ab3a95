package com.example.gateway;

import io.github.lb4j.api.Backend;
import io.github.lb4j.gateway.proxy.ProxyServer;
import io.github.lb4j.linux.NetInterface;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Uses lb-gateway and lb-linux from a named module: one byte string relayed by an embedded
 * ProxyServer to an echo backend on loopback, and the loopback interface read through the FFM layer.
 */
public final class GatewayModulesCheck {

  public static void main(String[] args) throws Exception {
    NetInterface lo = NetInterface.byName("lo");
    if ((lo.flags() & NetInterface.IFF_LOOPBACK) == 0) {
      throw new IllegalStateException("lo is not flagged loopback: flags " + lo.flags());
    }
    System.out.println("lo: index " + lo.index() + ", mtu " + lo.mtu());

    InetAddress loopback = InetAddress.getLoopbackAddress();
    byte[] hello = "hello through lb4j".getBytes(StandardCharsets.US_ASCII);
    try (ServerSocket backend = new ServerSocket(0, 50, loopback)) {
      Thread echo = new Thread(() -> {
        try (Socket s = backend.accept()) {
          s.getOutputStream().write(s.getInputStream().readNBytes(hello.length));
        } catch (IOException e) {
          e.printStackTrace();
        }
      }, "echo");
      echo.setDaemon(true);
      echo.start();
      try (ProxyServer proxy = ProxyServer.builder()
          .listen(new InetSocketAddress(loopback, 0))
          .backend(Backend.of("echo", loopback, backend.getLocalPort()))
          .algorithm("round-robin")
          .build()) {
        proxy.start();
        try (Socket client = new Socket()) {
          client.connect(proxy.listenAddresses().get(0), 5_000);
          client.setSoTimeout(5_000);
          OutputStream out = client.getOutputStream();
          InputStream in = client.getInputStream();
          out.write(hello);
          String reply = new String(in.readNBytes(hello.length), StandardCharsets.US_ASCII);
          if (!reply.equals("hello through lb4j")) {
            throw new IllegalStateException("relayed '" + reply + "'");
          }
          System.out.println("relayed through ProxyServer: " + reply);
        }
      }
    }
    System.out.println("lb4j Java 22 modules: ok");
  }
}
