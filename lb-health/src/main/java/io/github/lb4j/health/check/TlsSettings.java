package io.github.lb4j.health.check;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The TLS side of a check: the server name sent in SNI (RFC 6066 §3) and the trust setting,
 * {@code default} (the JDK's trust store, with host-name verification as HTTPS does, RFC 9110
 * §4.3.4) or {@code all} (any certificate, for self-signed backends: the check then proves that TLS
 * works, not who the server is).
 *
 * <p>Immutable; any thread. {@link #wrap} allocates the SSL socket; never blocks.
 */
final class TlsSettings {

  private final SSLSocketFactory factory;
  private final boolean trustAll;
  private final @Nullable String sni;

  private TlsSettings(SSLSocketFactory factory, boolean trustAll, @Nullable String sni) {
    this.factory = factory;
    this.trustAll = trustAll;
    this.sni = sni;
  }

  static TlsSettings of(Options o, @Nullable String defaultSni) {
    boolean all = o.choice("trust", "default", "all").equals("all");
    String sni = o.get("sni");
    if (sni != null && !isHostName(sni)) {
      throw o.bad("sni", sni, "a DNS host name (RFC 6066 forbids IP literals in SNI)");
    }
    if (sni == null && defaultSni != null && isHostName(defaultSni)) {
      sni = defaultSni;
    }
    try {
      SSLContext ctx;
      if (all) {
        ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
      } else {
        ctx = SSLContext.getDefault();
      }
      return new TlsSettings(ctx.getSocketFactory(), all, sni);
    } catch (GeneralSecurityException e) {
      throw new UnsupportedOperationException(o.method() + ": TLS is not available in this JVM: " + e, e);
    }
  }

  static boolean isHostName(String s) {
    if (s.isEmpty() || s.indexOf(':') >= 0) {
      return false;
    }
    boolean allDigitsAndDots = s.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    if (allDigitsAndDots) {
      return false;
    }
    try {
      new SNIHostName(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Layers TLS over a connected socket, with SNI and host-name verification as configured. */
  SSLSocket wrap(Socket connected, String peerHost, int port) throws java.io.IOException {
    String host = sni != null ? sni : peerHost;
    SSLSocket s = (SSLSocket) factory.createSocket(connected, host, port, true);
    SSLParameters p = s.getSSLParameters();
    if (sni != null) {
      p.setServerNames(List.of(new SNIHostName(sni)));
    }
    if (!trustAll) {
      p.setEndpointIdentificationAlgorithm("HTTPS");
    }
    s.setSSLParameters(p);
    return s;
  }

  @Override
  public String toString() {
    return "trust=" + (trustAll ? "all" : "default") + (sni == null ? "" : " sni=" + sni);
  }

  /** Accepts every certificate; chosen explicitly with {@code trust=all}. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
