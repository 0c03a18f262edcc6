package io.switchboard.launcher;

import io.vertx.core.VertxOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * How many event loops a Switchboard JVM runs: by default <b>as many as the verticle instances it
 * was started with</b> ({@code -instances}, 1 when not given), not Vert.x's two per core.
 *
 * <p>Why: a message through Switchboard crosses the clustered event bus, whose connection to each
 * peer JVM lives on an event loop of its own choosing. With Vert.x's default pool that is usually
 * another loop than the verticle's, so every message hops threads on its way out and on its way in
 * (an {@code eventfd} write and a wake-up each). Measured on the 2-core box with {@code perf stat}
 * during {@code launcher/bench echo} at 5 000 msg/s (docs/bench/hot-path.md): 3.4–4.6 context
 * switches and 1.0–1.7 {@code eventfd} writes per message with the default pool, 1.6–2.7 and 0 with
 * one loop per instance. A gateway's WebSockets only ever run on its instances' loops anyway, so
 * more loops than instances only added those hops.
 *
 * <p>{@code SWITCHBOARD_EVENT_LOOPS=N} sets another count (e.g. a service host that deploys several
 * instances at run time); {@code -options '{"eventLoopPoolSize":N}'} or
 * {@code -Dvertx.options.eventLoopPoolSize=N} are obeyed as they are.
 */
final class EventLoops {

  static final String ENV = "SWITCHBOARD_EVENT_LOOPS";
  static final String PROPERTY = "vertx.options.eventLoopPoolSize";
  static final int MAX = 1024;

  private EventLoops() {
  }

  /** A one-line problem with {@code SWITCHBOARD_EVENT_LOOPS} or {@code -instances}, or {@code null}. */
  static String check(List<String> args, Map<String, String> env) {
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank() && count(fromEnv) == 0) {
      return ENV + " must be a number of event loops from 1 to " + MAX + ", got \"" + fromEnv + "\"";
    }
    String instances = SwitchboardLauncher.optionValue(args, "-instances");
    if (instances != null && count(instances) == 0) {
      return "-instances must be a number from 1 to " + MAX + ", got \"" + instances + "\"";
    }
    return null;
  }

  /**
   * The event-loop pool size to set for a {@code run}, {@code start} or {@code bare} command line,
   * or 0 to leave Vert.x's (the user set one through {@code -options} or the system property).
   */
  static int choose(List<String> args, Map<String, String> env, Properties properties) {
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return count(fromEnv);
    }
    if (properties.getProperty(PROPERTY) != null || optionsSetIt(SwitchboardLauncher.optionValue(args, "-options"))) {
      return 0;
    }
    String instances = SwitchboardLauncher.optionValue(args, "-instances");
    return instances == null ? 1 : count(instances);
  }

  /** Sets the pool size chosen by {@link #choose} (0: leaves it). */
  static void apply(VertxOptions options, int loops) {
    if (loops > 0) {
      options.setEventLoopPoolSize(loops);
    }
  }

  /** Whether {@code -options} (inline JSON or a file) names an event-loop pool size. */
  private static boolean optionsSetIt(String options) {
    if (options == null) {
      return false;
    }
    if (options.contains("eventLoopPoolSize")) {
      return true;
    }
    try {
      Path file = Path.of(options.trim());
      return Files.isRegularFile(file) && Files.readString(file).contains("eventLoopPoolSize");
    } catch (IOException | RuntimeException e) {
      return false; // Vert.x reports an unreadable -options itself
    }
  }

  /** The count in {@code text}, or 0 when it is not a number from 1 to {@link #MAX}. */
  private static int count(String text) {
    try {
      int n = Integer.parseInt(text.trim());
      return n >= 1 && n <= MAX ? n : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
