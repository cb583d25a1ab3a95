package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/** Maps an I/O failure to a {@link HealthReason} and a one-line detail. Any thread; allocates the detail. */
final class Failures {

  private Failures() {}

  static HealthReason reason(IOException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (e instanceof SSLException) {
      return m.contains("reset") ? HealthReason.RESET : HealthReason.TLS_ERROR;
    }
    if (e instanceof SocketTimeoutException) {
      return HealthReason.TIMEOUT;
    }
    if (e instanceof PortUnreachableException) {
      return HealthReason.REFUSED;
    }
    if (e instanceof NoRouteToHostException || m.contains("unreachable") || m.contains("no route")) {
      return HealthReason.UNREACHABLE;
    }
    if (e instanceof ConnectException || m.contains("refused")) {
      return HealthReason.REFUSED;
    }
    if (m.contains("reset") || m.contains("broken pipe")) {
      return HealthReason.RESET;
    }
    if (e instanceof EOFException) {
      return HealthReason.PROTOCOL_ERROR;
    }
    return HealthReason.IO_ERROR;
  }

  static String detail(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
