package io.switchboard.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code launcher/bench}: starts the server JVMs to measure, drives load at them from this JVM,
 * and writes {@code bench-results/<timestamp>/} with {@code results.json}, {@code report.md}
 * and PNG charts. Every figure of ours is reported beside the baselines measured in the same run.
 *
 * <pre>launcher/bench all            # every scenario, full size (under 10 minutes on 2 cores)
 * launcher/bench echo --quick    # a smoke run of one scenario</pre>
 */
public final class Bench {

  /** Scenarios that measure ours only (their baselines are ours in another setup): no other target is started for them alone. */
  private static final java.util.List<String> OURS_ONLY = java.util.List.of("runtime", "presence", "burst", "resume");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private Bench() {
  }

  public static void main(String[] args) {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    Result result = run(options, System.out::println);
    System.out.println("bench: report " + result.dir().resolve("report.md"));
    System.exit(result.errors().isEmpty() ? 0 : 1);
  }

  /** Where a run wrote its files, the scenarios that failed (name → message), and the targets skipped (name → why). */
  public record Result(Path dir, Map<String, String> errors, Map<String, String> skipped) {
  }

  /** Runs the scenarios of {@code options}; never throws for a failed scenario (see the result). */
  public static Result run(BenchOptions options, Consumer<String> out) {
    Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath().normalize();
    String stamp = LocalDateTime.now(ZoneOffset.UTC).format(STAMP);
    Path dir = options.out != null ? options.out : root.resolve("bench-results").resolve(stamp);
    long t0 = System.nanoTime();
    Consumer<String> progress = line -> out.accept(String.format("%5.1fs %s", (System.nanoTime() - t0) / 1e9, line));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JvmCommand jvm = JvmCommand.detect(root, options.transport);
    JsonObject machine = Machine.describe(jvm);
    progress.accept("bench " + String.join(" ", options.scenarios) + (options.quick ? " (quick)" : "") + " → " + dir);
    Map<String, Scenario.Outcome> outcomes = new LinkedHashMap<>();
    Map<String, String> errors = new LinkedHashMap<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2)
      .setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
    LoadClient client = new LoadClient(vertx);
    try (Fleet fleet = new Fleet(jvm, dir, options.jfr, client, progress)) {
      // every server up before any measurement: no JVM start-up or JIT burst inside another's window
      fleet.startAll(targets(options));
      if (options.runs("fanout") || options.runs("chat")) {
        fleet.switchboardTwoGateways();
      }
      for (String name : options.scenarios) {
        Scenario s = scenario(name, options, fleet, new LoadClient(vertx), progress);
        long s0 = System.nanoTime();
        try {
          s.run();
          outcomes.put(name, s.outcome());
          progress.accept(String.format("[%s] done in %.0f s", name, (System.nanoTime() - s0) / 1e9));
        } catch (RuntimeException e) {
          errors.put(name, String.valueOf(e.getMessage()));
          progress.accept("[" + name + "] FAILED: " + e.getMessage());
          if (!s.figures.isEmpty()) {
            outcomes.put(name, s.outcome());
          }
        }
      }
      skipped.putAll(fleet.skipped());
    } catch (RuntimeException e) {
      errors.put("fleet", String.valueOf(e.getMessage()));
      progress.accept("FAILED: " + e.getMessage());
    } finally {
      vertx.close();
    }
    Charts charts = new Charts(dir);
    charts.draw(outcomes);
    new Report(dir).write(machine, options, outcomes, errors, skipped, charts.written());
    progress.accept("wrote " + dir.resolve("results.json") + ", report.md and " + charts.written().size() + " chart(s)");
    out.accept(Report.table(outcomes));
    return new Result(dir, errors, skipped);
  }

  /** The targets the scenarios need, in the report's order: ours only, chat's (ours, bare, node), or all. */
  private static java.util.List<String> targets(BenchOptions options) {
    java.util.Set<String> need = new java.util.HashSet<>();
    for (String s : options.scenarios) {
      need.addAll(s.equals("scale") ? java.util.List.of() : OURS_ONLY.contains(s) ? java.util.List.of(Target.SWITCHBOARD)
        : s.equals("chat") ? ChatFanoutScenario.TARGETS : s.equals("fanout") ? Target.withRoom() : Target.ALL);
    }
    return Target.ALL.stream().filter(need::contains).toList();
  }

  private static Scenario scenario(String name, BenchOptions o, Fleet fleet, LoadClient client, Consumer<String> progress) {
    return switch (name) {
      case "echo" -> new EchoScenario(o, fleet, client, progress);
      case "fanout" -> new FanoutScenario(o, fleet, client, progress);
      case "chat" -> new ChatFanoutScenario(o, fleet, client, progress);
      case "idle" -> new IdleScenario(o, fleet, client, progress);
      case "connect" -> new ConnectScenario(o, fleet, client, progress);
      case "runtime" -> new RuntimeScenario(o, fleet, client, progress);
      case "presence" -> new PresenceScenario(o, fleet, client, progress);
      case "burst" -> new BurstScenario(o, fleet, client, progress);
      case "resume" -> new ResumeScenario(o, fleet, client, progress);
      case "scale" -> new ScaleScenario(o, fleet, client, progress);
      default -> throw new IllegalArgumentException(name);
    };
  }
}
