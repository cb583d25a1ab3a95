package io.github.lb4j.gateway.cli;

import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.demo.HttpBackend;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lb serve}: the demo's tiny HTTP/1.1 server, for trying the proxy and for benchmarks. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs tiny HTTP/1.1 servers (one NIO thread each) that answer 'hello from NAME'; /health answers 200.",
      "Example: lb serve --listen 127.0.0.1:8081 --listen 127.0.0.1:8082"
    })
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT", required = true, converter = Converters.EndpointConverter.class,
      description = "Address of one server; repeatable.")
  List<InetSocketAddress> listen = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    List<HttpBackend> servers = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    try {
      int n = 0;
      for (InetSocketAddress a : listen) {
        HttpBackend s = new HttpBackend("web-" + (++n), a);
        servers.add(s);
        try {
          s.start();
        } catch (java.net.BindException e) {
          throw new java.net.BindException("cannot listen on " + Endpoints.format(a) + ": address already in use");
        }
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        servers.forEach(HttpBackend::stop);
        stopped.countDown();
      }, "lb-shutdown"));
      for (HttpBackend s : servers) {
        spec.commandLine().getOut().println("lb serve: " + s.name() + " on " + Endpoints.format(s.address()));
      }
      stopped.await();
      return 0;
    } finally {
      if (stopped.getCount() > 0) {
        servers.forEach(HttpBackend::stop);
      }
    }
  }
}
