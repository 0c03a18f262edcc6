package io.switchboard.launcher;

import io.vertx.core.transport.Transport;

import java.util.List;
import java.util.Map;

/**
 * Which network transport a Switchboard JVM runs on: Netty's {@code nio} (Java NIO, everywhere),
 * {@code epoll} or {@code io_uring} (Linux x86_64 native libraries shipped in the jar). Chosen by
 * {@code -Dswitchboard.transport} or else {@code SWITCHBOARD_TRANSPORT}, else {@link #DEFAULT};
 * a native transport that cannot load here (another OS or CPU, an old kernel, io_uring disabled by
 * a seccomp profile) falls back to NIO with one line saying why. The gateway's and the services'
 * ready lines name the transport that runs ({@code io.switchboard.config.TransportInfo}).
 */
public final class TransportChoice {

  /** The environment variable that chooses the transport. */
  public static final String ENV = "SWITCHBOARD_TRANSPORT";
  /** The system property that chooses the transport (wins over {@link #ENV}). */
  public static final String PROPERTY = "switchboard.transport";
  /** The names a user may give. */
  public static final List<String> NAMES = List.of("nio", "epoll", "io_uring");
  /** The transport when none is chosen: docs/bench/native-transport.md measured the three. */
  public static final String DEFAULT = "epoll";

  private TransportChoice() {
  }

  /** The requested name (property, then environment, then {@link #DEFAULT}), not yet checked. */
  static String requested(Map<String, String> env) {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      value = env.get(ENV);
    }
    return value == null || value.isBlank() ? DEFAULT : value.trim();
  }

  /** A one-line problem with the requested name, or {@code null} when it is one of {@link #NAMES}. */
  static String check(String name) {
    return NAMES.contains(name) ? null
      : ENV + " (or -D" + PROPERTY + ") is \"" + name + "\"; it must be one of " + String.join(", ", NAMES);
  }

  /** The Vert.x transport for a checked name, or {@code null} when its classes are not on the classpath. */
  static Transport of(String name) {
    switch (name) {
      case "epoll":
        return Transport.EPOLL;
      case "io_uring":
        return Transport.IO_URING;
      default:
        return Transport.NIO;
    }
  }

  /**
   * The transport to build Vert.x with: the requested one when it is available, else NIO, with
   * {@code fallback} told why in one line.
   */
  static Transport choose(String name, java.util.function.Consumer<String> fallback) {
    Transport wanted = of(name);
    if (wanted == null) {
      fallback.accept("switchboard: transport " + name + " is not on the classpath; running on nio");
      return Transport.NIO;
    }
    if (!wanted.available()) {
      Throwable cause = wanted.unavailabilityCause();
      fallback.accept("switchboard: transport " + name + " is unavailable here ("
        + (cause == null ? "no reason given" : rootMessage(cause)) + "); running on nio");
      return Transport.NIO;
    }
    return wanted;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage() != null ? c.getMessage() : c.toString();
    return m.split("\n")[0];
  }
}
