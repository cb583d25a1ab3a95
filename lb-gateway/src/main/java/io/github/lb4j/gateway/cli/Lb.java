package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.Schedulers;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code lb} command: {@code lb proxy}, {@code lb demo}, {@code lb datapath}, {@code lb trace},
 * {@code lb serve}.
 *
 * <p>Errors made by the user (a bad flag, an unknown algorithm, a port in use, a bad configuration
 * line) print one line on standard error and exit with 2 (usage) or 1 (runtime), never a stack trace.
 * {@link #run} is the in-process entry the tests use; {@link #main} exits the JVM with its result.
 * Call either from one thread; they allocate freely and block for as long as the subcommand runs
 * ({@code lb proxy} until a signal, {@code lb demo} for its duration).
 */
@Command(
    name = "lb",
    mixinStandardHelpOptions = true,
    versionProvider = Lb.Version.class,
    description = "lb4j's reference gateway: a TCP load-balancing proxy, a packet datapath, a live demo, packet traces and a test HTTP server.",
    subcommands = {ProxyCommand.class, DemoCommand.class, DatapathCommand.class, TraceCommand.class, ServeCommand.class,
        CommandLine.HelpCommand.class})
public final class Lb implements Runnable {

  /** Exit code of a user error found at run time (port in use, unknown algorithm, bad file). */
  static final int EXIT_ERROR = 1;

  /** Width of the help texts; the catalog wraps its own lines to fit it. */
  private static final int HELP_WIDTH = 110;

  /** Column where the catalog's descriptions start. */
  private static final int NAME_COLUMN = 31;

  /** Exit code of a bad command line. */
  static final int EXIT_USAGE = 2;

  @CommandLine.Spec
  CommandSpec spec;

  /** Creates the top command; picocli instantiates it. */
  public Lb() {}

  /**
   * Runs {@code lb} and exits with its status.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("demo")) {
      // The live view owns the terminal; only warnings may interrupt it.
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = run(args, out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs {@code lb} in this process.
   *
   * @param args the command line
   * @param out standard output
   * @param err standard error
   * @return the exit status: 0 done, 1 runtime error, 2 usage error
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    try {
      CommandLine cl = commandLine();
      cl.setOut(out);
      cl.setErr(err);
      return cl.execute(args);
    } catch (RuntimeException | java.util.ServiceConfigurationError e) {
      // A broken installation (a provider that fails to load) is still reported in one line.
      err.println("lb: " + describe(e));
      return EXIT_ERROR;
    }
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Lb());
    cl.setUsageHelpWidth(HELP_WIDTH);
    cl.getCommandSpec().usageMessage().footer(catalog(true, true, true));
    // Each command lists only what it takes: proxy and demo have no forwarding mode, trace no check.
    footer(cl, "proxy", catalog(true, true, false));
    footer(cl, "demo", catalog(true, true, false));
    footer(cl, "datapath", catalog(true, true, true));
    footer(cl, "trace", catalog(true, false, true));
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex.getMessage())
          + " (see " + c.getCommandSpec().qualifiedName() + " --help)");
      return EXIT_USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + describe(ex));
      return EXIT_ERROR;
    });
    return cl;
  }

  /** Turns an exception into the one line a user needs, without a stack trace. */
  static String describe(Throwable ex) {
    if (ex instanceof NoSuchFileException nsf) {
      return (nsf.getReason() == null ? "file not found" : nsf.getReason()) + ": " + nsf.getFile();
    }
    String msg = ex.getMessage();
    if (ex instanceof IllegalArgumentException || ex instanceof UnsupportedOperationException
        || ex instanceof IllegalStateException || ex instanceof java.io.IOException) {
      return oneLine(msg == null ? ex.getClass().getSimpleName() : msg);
    }
    return "internal error: " + oneLine(ex.toString());
  }

  private static String oneLine(@org.jspecify.annotations.Nullable String s) {
    return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ').strip();
  }

  private static void footer(CommandLine cl, String command, String text) {
    CommandLine sub = cl.getSubcommands().get(command);
    if (sub != null) {
      sub.getCommandSpec().usageMessage().footer(text);
    }
  }

  /** The algorithms, checks and forwarding modes by name, for the help texts; each part on request. */
  static String catalog(boolean algorithms, boolean checks, boolean modes) {
    StringBuilder sb = new StringBuilder();
    if (algorithms) {
      sb.append("%nAlgorithms (--algorithm):%n");
      list(sb, registered(Schedulers::descriptions), "(none registered: lb-algorithms is missing from the class path)");
    }
    if (checks) {
      sb.append("%nHealth checks (--check):%n");
      list(sb, registered(HealthCheckers::descriptions), "(none registered: lb-health is missing from the class path)");
    }
    if (!modes) {
      return sb.toString();
    }
    sb.append("%nForwarding modes (--mode of lb datapath and lb trace; lb proxy is a full proxy at socket level):%n");
    for (ForwardingMode m : ForwardingMode.values()) {
      sb.append(String.format("  %-" + (NAME_COLUMN - 3) + "s replies %s", m.modeName(),
          m.repliesPassBalancer() ? "pass the balancer" : "go directly to the client")).append("%n");
    }
    return sb.toString();
  }

  private static Map<String, String> registered(java.util.function.Supplier<Map<String, String>> registry) {
    try {
      return registry.get();
    } catch (java.util.ServiceConfigurationError e) {
      return Map.of("(unavailable)", oneLine(e.getMessage()));
    }
  }

  private static void list(StringBuilder sb, Map<String, String> entries, String none) {
    if (entries.isEmpty()) {
      sb.append("  ").append(none).append("%n");
    }
    entries.forEach((name, description) -> {
      String indent = " ".repeat(NAME_COLUMN);
      StringBuilder line = new StringBuilder(String.format("  %-" + (NAME_COLUMN - 3) + "s ", name));
      for (String word : description.split(" ")) {
        if (line.length() + word.length() + 1 > HELP_WIDTH && line.length() > NAME_COLUMN) {
          sb.append(line.toString().stripTrailing().replace("%", "%%")).append("%n");
          line = new StringBuilder(indent);
        }
        line.append(word).append(' ');
      }
      sb.append(line.toString().stripTrailing().replace("%", "%%")).append("%n");
    });
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Lb.class.getPackage().getImplementationVersion();
      return new String[] {"lb (lb4j) " + (v == null ? "development build" : v)};
    }
  }
}
