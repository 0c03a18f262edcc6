package io.switchboard.launcher;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code vertx} command of {@code launcher/vertx}: Vert.x's own launcher ({@code run},
 * {@code start}, {@code stop}, {@code list}, {@code -conf}, {@code -cluster}, {@code -instances}),
 * plus {@code services}, {@code deploy} and {@code undeploy} over the gateway's admin API
 * ({@link AdminCommand}), plus up-front checks so that a mistake ends in one line and a non-zero exit instead of a
 * stack trace or a silently empty config:
 * <ul>
 *   <li>an unknown command, or {@code run} without a verticle;</li>
 *   <li>{@code -conf} names a missing file, or one that is not a JSON object (with line and column);</li>
 *   <li>the verticle class does not exist, or is not a verticle;</li>
 *   <li>the verticle refuses its config (the message names the key), or cannot listen.</li>
 * </ul>
 * Stack traces are for developers: {@code --debug} (or {@code SWITCHBOARD_DEBUG=1}) prints them.
 */
public class SwitchboardLauncher extends Launcher {

  /** Exit code of a usage or configuration error. */
  public static final int EXIT_CONFIG = 2;
  /** Exit code when the verticle failed to start. */
  public static final int EXIT_DEPLOY = 1;
  /** The name users type, shown in every usage message. */
  static final String NAME = "launcher/vertx";
  /** The commands of Vert.x's own launcher that Switchboard keeps. */
  static final List<String> VERTX_COMMANDS = List.of("run", "start", "stop", "list", "version", "bare");

  // Loggers configured here are held so that java.util.logging keeps their filters.
  private static final Logger DEPLOYER = Logger.getLogger("io.vertx.core.impl.launcher.commands.VertxIsolatedDeployer");
  private static final Logger METER_REGISTRY = Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");

  private static boolean debug;
  /** The event-loop pool size {@link EventLoops} chose for this command line (0: Vert.x's own). */
  private static int eventLoops;

  public static void main(String[] args) {
    List<String> list = new ArrayList<>(Arrays.asList(args));
    debug = list.remove("--debug") || "1".equals(System.getenv("SWITCHBOARD_DEBUG"));
    quietLogs();
    if (list.isEmpty() || isAskingForHelp(list.get(0)) || list.get(0).equals("help")) {
      System.out.print(help());
      System.exit(list.isEmpty() ? EXIT_CONFIG : 0);
    }
    if (AdminCommand.COMMANDS.contains(list.get(0))) {
      System.exit(admin(list));
    }
    String problem = check(list);
    if (problem == null && VERTX_COMMANDS.contains(list.get(0))) {
      problem = TransportChoice.check(TransportChoice.requested(System.getenv()));
    }
    if (problem == null && VERTX_COMMANDS.contains(list.get(0))) {
      problem = EventLoops.check(list, System.getenv());
    }
    if (problem != null) {
      System.err.println("switchboard: " + problem);
      System.exit(EXIT_CONFIG);
    }
    eventLoops = EventLoops.choose(list, System.getenv(), System.getProperties());
    new SwitchboardLauncher().dispatch(list.toArray(new String[0]));
  }

  /**
   * Keeps a start's output to what a person needs:
   * <ul>
   *   <li>Vert.x logs a failed deployment with its stack trace; {@link #handleDeployFailed} says it in
   *   one line instead (the trace stays with {@code --debug}).</li>
   *   <li>Vert.x's event-bus metrics register the gauge {@code vertx.eventbus.handlers} again for every
   *   handler, always over the same counter, and Micrometer warns about the second registration. The
   *   series is right (one shared counter), so the warning says nothing to act on.</li>
   * </ul>
   */
  private static void quietLogs() {
    if (!debug) {
      DEPLOYER.setFilter(r -> !(r.getLevel() == Level.SEVERE && "Failed in deploying verticle".equals(r.getMessage())));
    }
    METER_REGISTRY.setFilter(r -> r.getMessage() == null
      || !r.getMessage().startsWith("This Gauge has been already registered (MeterId{name='vertx.eventbus.handlers'"));
  }

  /** The text of {@code launcher/vertx --help}. */
  static String help() {
    return String.join(System.lineSeparator(),
      "Usage: " + NAME + " <command> [options]",
      "",
      "Run Switchboard's pieces (Vert.x's launcher; conf/ is on the classpath):",
      "  run <verticle> [-conf file.json] [-cluster] [-cluster-host HOST] [-instances N]",
      "                    runs a verticle in this terminal until Ctrl-C, e.g.",
      "                    " + NAME + " run io.switchboard.gateway.GatewayVerticle -conf conf/gateway.json -cluster",
      "  start <verticle> [run options] [-id ID]   the same, in the background",
      "  stop <id>         stops a verticle started with start",
      "  list              lists the verticles started with start",
      "  version           prints the Vert.x version",
      "  bare              starts a clustered Vert.x with no verticle",
      "",
      "Operate a running cluster through a gateway's admin API",
      "(token: --token or $SWITCHBOARD_ADMIN_TOKEN; gateway: --url or $SWITCHBOARD_ADMIN_URL, default http://localhost:8080):",
      "  services          lists the services, their instances and sessions",
      "  deploy <verticle> [-conf file.json] [-instances N] [--node NODE]",
      "                    deploys a service on a service host",
      "  undeploy <id>     undeploys it (the id deploy printed)",
      "",
      "Options of every command:",
      "  --debug           print stack traces too (or set SWITCHBOARD_DEBUG=1)",
      "",
      "More: " + NAME + " <command> --help; launcher/demo starts the whole demo; launcher/bench --help for the bench.",
      "");
  }

  @Override
  protected String getCommandLinePrefix() {
    return NAME;
  }

  @Override
  protected void printGlobalUsage() {
    System.out.print(help());
  }

  private static int admin(List<String> args) {
    try {
      return new AdminCommand(System.out, System.getenv()).run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("switchboard: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      System.err.println("switchboard: " + args.get(0) + " failed: " + e);
      if (debug) {
        e.printStackTrace();
      }
      return 1;
    }
  }

  /**
   * Builds Vert.x on the transport of {@link TransportChoice} ({@code SWITCHBOARD_TRANSPORT}); a
   * native one that cannot load here falls back to NIO with one line on stderr.
   */
  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    String name = TransportChoice.requested(System.getenv());
    return super.createVertxBuilder(options).withTransport(TransportChoice.choose(name, System.err::println));
  }

  /**
   * Turns on Vert.x's Micrometer metrics with a Prometheus registry, which the gateway's /metrics
   * serves, and sizes the event-loop pool ({@link EventLoops}).
   */
  @Override
  public void beforeStartingVertx(VertxOptions options) {
    EventLoops.apply(options, eventLoops);
    if (options.getMetricsOptions() instanceof MicrometerMetricsOptions) {
      ((MicrometerMetricsOptions) options.getMetricsOptions()).setEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    }
    super.beforeStartingVertx(options);
  }

  @Override
  public void handleDeployFailed(Vertx vertx, String mainVerticle, DeploymentOptions deploymentOptions, Throwable cause) {
    System.err.println("switchboard: " + mainVerticle + " failed to start: " + rootMessage(cause));
    if (debug) {
      cause.printStackTrace();
    }
    vertx.close().onComplete(ar -> System.exit(EXIT_DEPLOY));
  }

  /** Checks a command line; returns a one-line problem, or {@code null}. */
  static String check(List<String> args) {
    if (args.isEmpty()) {
      return null;
    }
    String command = args.get(0);
    if (!VERTX_COMMANDS.contains(command)) {
      return "unknown command " + command + "; the commands are " + String.join(", ", VERTX_COMMANDS) + ", "
        + String.join(", ", AdminCommand.COMMANDS) + " (" + NAME + " --help)";
    }
    if (!command.equals("run") || args.stream().anyMatch(SwitchboardLauncher::isAskingForHelp)) {
      return null;
    }
    String verticle = firstArgument(args);
    if (verticle == null) {
      return "run needs a verticle class, e.g. " + NAME
        + " run io.switchboard.gateway.GatewayVerticle -conf conf/gateway.json (" + NAME + " --help)";
    }
    String problem = checkVerticle(verticle);
    if (problem != null) {
      return problem;
    }
    String conf = optionValue(args, "-conf");
    return conf == null ? null : checkConf(conf);
  }

  /** Options of {@code run} that take no value. */
  private static final List<String> FLAGS = List.of("cluster", "ha", "worker");

  /** The first argument after the command that is neither an option nor an option's value. */
  private static String firstArgument(List<String> args) {
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("-")) {
        return a;
      }
      if (!a.contains("=") && !FLAGS.contains(a.replaceFirst("^--?", ""))) {
        i++; // skips the option's value
      }
    }
    return null;
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
  static String optionValue(List<String> args, String name) {
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
