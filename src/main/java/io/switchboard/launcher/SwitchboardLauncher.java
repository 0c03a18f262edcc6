package io.switchboard.launcher;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code vertx} command of {@code launcher/vertx}: Vert.x's own launcher ({@code run},
 * {@code start}, {@code stop}, {@code list}, {@code -conf}, {@code -cluster}, {@code -instances}),
 * plus {@code services}, {@code deploy} and {@code undeploy} over the gateway's admin API
 * ({@link AdminCommand}), plus up-front checks so that a mistake ends in one line and a non-zero exit instead of a
 * stack trace or a silently empty config:
 * <ul>
 *   <li>{@code -conf} names a missing file, or one that is not a JSON object (with line and column);</li>
 *   <li>the verticle class does not exist, or is not a verticle;</li>
 *   <li>the verticle refuses its config (the message names the key).</li>
 * </ul>
 */
public class SwitchboardLauncher extends Launcher {

  /** Exit code of a usage or configuration error. */
  public static final int EXIT_CONFIG = 2;
  /** Exit code when the verticle failed to start. */
  public static final int EXIT_DEPLOY = 15;

  public static void main(String[] args) {
    if (args.length > 0 && AdminCommand.COMMANDS.contains(args[0])) {
      System.exit(admin(Arrays.asList(args)));
    }
    String problem = check(Arrays.asList(args));
    if (problem != null) {
      System.err.println("switchboard: " + problem);
      System.exit(EXIT_CONFIG);
    }
    new SwitchboardLauncher().dispatch(args);
  }

  private static int admin(List<String> args) {
    try {
      return new AdminCommand(System.out, System.getenv()).run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("switchboard: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      System.err.println("switchboard: " + args.get(0) + " failed: " + e);
      return 1;
    }
  }

  /** Turns on Vert.x's Micrometer metrics with a Prometheus registry, which the gateway's /metrics serves. */
  @Override
  public void beforeStartingVertx(VertxOptions options) {
    if (options.getMetricsOptions() instanceof MicrometerMetricsOptions) {
      ((MicrometerMetricsOptions) options.getMetricsOptions()).setEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    }
    super.beforeStartingVertx(options);
  }

  @Override
  public void handleDeployFailed(Vertx vertx, String mainVerticle, DeploymentOptions deploymentOptions, Throwable cause) {
    System.err.println("switchboard: " + mainVerticle + " failed to start: " + rootMessage(cause));
    vertx.close().onComplete(ar -> System.exit(EXIT_DEPLOY));
  }

  /** Checks a {@code run} command line; returns a one-line problem, or {@code null}. */
  static String check(List<String> args) {
    if (args.isEmpty() || !args.get(0).equals("run")) {
      return null;
    }
    String verticle = args.size() > 1 && !args.get(1).startsWith("-") ? args.get(1) : null;
    if (verticle != null) {
      String problem = checkVerticle(verticle);
      if (problem != null) {
        return problem;
      }
    }
    String conf = optionValue(args, "-conf");
    return conf == null ? null : checkConf(conf);
  }

  private static String checkVerticle(String name) {
    if (name.contains(":") || name.endsWith(".java")) {
      return null; // a prefixed or source verticle: Vert.x resolves it
    }
    try {
      Class<?> type = Class.forName(name, false, SwitchboardLauncher.class.getClassLoader());
      if (!io.vertx.core.Deployable.class.isAssignableFrom(type) && !io.vertx.core.Verticle.class.isAssignableFrom(type)) {
        return name + " is not a verticle (it must extend VerticleBase or implement Deployable)";
      }
      return null;
    } catch (ClassNotFoundException | LinkageError e) {
      return "no verticle class " + name + " on the classpath (check the spelling and that the jar is built)";
    }
  }

  /** The value of {@code -name value} or {@code -name=value}. */
  private static String optionValue(List<String> args, String name) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if ((a.equals(name) || a.equals("-" + name)) && i + 1 < args.size()) {
        return args.get(i + 1);
      }
      if (a.startsWith(name + "=") || a.startsWith("-" + name + "=")) {
        return a.substring(a.indexOf('=') + 1);
      }
    }
    return null;
  }

  /** Checks that {@code -conf} is an existing file holding one JSON object, or inline JSON. */
  static String checkConf(String conf) {
    String trimmed = conf.trim();
    boolean inline = trimmed.startsWith("{");
    String text;
    String where = inline ? "the -conf JSON" : conf;
    if (inline) {
      text = trimmed;
    } else {
      try {
        text = Files.readString(Path.of(conf));
      } catch (NoSuchFileException e) {
        return "config file " + conf + " not found (working directory: " + Path.of("").toAbsolutePath() + ")";
      } catch (IOException e) {
        return "cannot read config file " + conf + ": " + e.getMessage();
      }
    }
    try (JsonParser parser = new JsonFactory().createParser(text)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return where + " must hold a JSON object ({ ... })";
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        return where + ": unexpected content after the JSON object at line " + parser.currentLocation().getLineNr()
          + ", column " + parser.currentLocation().getColumnNr();
      }
      return null;
    } catch (JsonParseException e) {
      return where + " is not valid JSON: " + e.getOriginalMessage().split("\n")[0] + " at line "
        + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    } catch (IOException e) {
      return "cannot read config " + where + ": " + e.getMessage();
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c && c.getMessage() == null) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : c.toString();
  }
}
