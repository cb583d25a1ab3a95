package io.github.lb4j.gateway.datapath;

import io.github.lb4j.gateway.demo.HttpBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * A real server of the lab: {@code lb serve}'s HTTP server under the server's own name, so each
 * answer says which server made it ({@code hello from s2}). Run inside a server's namespace by
 * {@link Lab}: {@code LabHttpServer NAME ADDRESS PORT}; stops on SIGTERM.
 */
final class LabHttpServer {

  private LabHttpServer() {}

  public static void main(String[] args) throws Exception {
    HttpBackend server = new HttpBackend(args[0], new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2])));
    server.start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      stop.countDown();
    }));
    System.out.println("listening " + args[0]);
    System.out.flush();
    stop.await();
  }
}
