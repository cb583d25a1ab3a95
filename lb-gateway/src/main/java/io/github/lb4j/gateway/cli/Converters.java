package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.config.ProxyConfigFile;
import io.github.lb4j.gateway.proxy.ProxyProtocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters for the value types of lb's flags, so that every command types its durations,
 * addresses and enumerations alike, and a bad value is reported by picocli as the flag's error
 * ({@code Invalid value for option '--slow-start': must be a duration such as ...}). Stateless.
 */
final class Converters {

  private Converters() {}

  /** Drops the empty field name the shared parsers put first, leaving "must be ...". */
  private static TypeConversionException bad(IllegalArgumentException e) {
    String m = e.getMessage() == null ? "invalid value" : e.getMessage();
    return new TypeConversionException(m.startsWith(": ") ? m.substring(2) : m.strip());
  }

  /** {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h} or {@code 0}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse("", value);
      } catch (IllegalArgumentException e) {
        throw bad(e);
      }
    }
  }

  /** {@code host:port}, {@code [v6]:port}, {@code :port}. */
  static final class EndpointConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      try {
        return Endpoints.parse("", value);
      } catch (IllegalArgumentException e) {
        throw bad(e);
      }
    }
  }

  /** A literal IPv4 or IPv6 address, never looked up. */
  static final class LiteralAddressConverter implements ITypeConverter<InetAddress> {
    @Override
    public InetAddress convert(String value) {
      try {
        return Endpoints.literal("", value);
      } catch (IllegalArgumentException e) {
        throw bad(e);
      }
    }
  }

  /** {@code none}, {@code v1}, {@code v2}. */
  static final class ProxyProtocolConverter implements ITypeConverter<ProxyProtocol> {
    @Override
    public ProxyProtocol convert(String value) {
      try {
        return ProxyConfigFile.proxyProtocol("", value);
      } catch (IllegalArgumentException e) {
        throw bad(e);
      }
    }
  }

  /** {@code fail-closed}, {@code fail-open}. */
  static final class NoBackendConverter implements ITypeConverter<NoBackendPolicy> {
    @Override
    public NoBackendPolicy convert(String value) {
      try {
        return ProxyConfigFile.noBackendPolicy("", value);
      } catch (IllegalArgumentException e) {
        throw bad(e);
      }
    }
  }
}
