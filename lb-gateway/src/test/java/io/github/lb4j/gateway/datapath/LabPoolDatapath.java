package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.pool.AdminState;
import io.github.lb4j.pool.BackendState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * An embedded {@link Datapath}, run in the balancer's namespace of a lab, driven through its {@link
 * Datapath#pool()} as an embedder's operator would: {@code LabPoolDatapath MODE CLIENT_IF SERVER_IF
 * VIP PORT GATEWAY WORKERS STATUS_FILE ID=ADDRESS...} (inline, no health check: a server takes new
 * flows once its MAC is known).
 *
 * <p>Commands on standard input, one answer line each: {@code eligible} ({@code eligible N}), {@code
 * drain ID} and {@code activate ID} (applied through the pool, answered once applied: {@code state ID
 * ADMIN serving|not-serving}), {@code count NAME} (a status line: {@code NAME VALUE}), {@code stop}
 * (closes the datapath, answers {@code closed}). It prints {@code started WORKERS} once running.
 */
final class LabPoolDatapath {

  private LabPoolDatapath() {}

  public static void main(String[] args) throws Exception {
    DatapathConfig.Builder b = DatapathConfig.builder(ForwardingMode.parse(args[0]))
        .inline(args[1], args[2])
        .vip(InetAddress.getByName(args[3]), Integer.parseInt(args[4]))
        .gateway(InetAddress.getByName(args[5]))
        .workers(Integer.parseInt(args[6]))
        .statusFile(Path.of(args[7]))
        .check("none", Map.of(), Duration.ofMillis(200), 1, 1);
    int port = Integer.parseInt(args[4]);
    for (int i = 8; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      b.backend(Backend.of(kv[0], InetAddress.getByName(kv[1]), port));
    }
    PrintStream out = System.out;
    try (Datapath d = Datapath.start(b.build())) {
      out.println("started " + d.workers());
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      for (String line; (line = in.readLine()) != null; ) {
        String[] w = line.trim().split(" ");
        switch (w[0]) {
          case "eligible" -> out.println("eligible " + d.eligible().size());
          case "drain", "activate" -> {
            d.pool().setAdminState(w[1], w[0].equals("drain") ? AdminState.DRAINING : AdminState.ACTIVE).join();
            BackendState s = d.pool().backend(w[1]);
            out.println(s == null ? "unknown " + w[1]
                : "state " + w[1] + " " + s.admin().name().toLowerCase(java.util.Locale.ROOT) + " " + (s.serving() ? "serving" : "not-serving"));
          }
          case "count" -> out.println(w[1] + " " + d.status().lines().filter(l -> l.startsWith(w[1] + " ")).map(l -> l.substring(w[1].length() + 1))
              .findFirst().orElse("absent"));
          case "stop" -> {
            d.close();
            out.println("closed");
            out.flush();
            return;
          }
          default -> out.println("unknown " + line);
        }
        out.flush();
      }
    }
  }
}
