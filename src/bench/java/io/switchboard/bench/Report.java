package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a run's {@code results.json} and {@code report.md}. */
final class Report {

  private final Path dir;

  Report(Path dir) {
    this.dir = dir;
  }

  void write(JsonObject machine, BenchOptions options, Map<String, Scenario.Outcome> outcomes, Map<String, String> errors,
             Map<String, String> skipped, List<String> charts) {
    JsonArray figures = new JsonArray();
    JsonObject raw = new JsonObject();
    outcomes.forEach((name, o) -> {
      o.figures().forEach(f -> figures.add(f.toJson()));
      raw.put(name, o.raw());
    });
    JsonObject errs = new JsonObject();
    errors.forEach(errs::put);
    JsonObject skips = new JsonObject();
    skipped.forEach(skips::put);
    JsonObject results = new JsonObject().put("command", options.commandLine).put("quick", options.quick)
      .put("transport", options.transport == null ? "default" : options.transport)
      .put("machine", machine).put("figures", figures).put("raw", raw).put("errors", errs).put("skippedTargets", skips).put("charts", new JsonArray(charts));
    try {
      Files.writeString(dir.resolve("results.json"), results.encodePrettily());
      Files.writeString(dir.resolve("report.md"), markdown(machine, options, outcomes, errors, skipped, charts));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String markdown(JsonObject machine, BenchOptions options, Map<String, Scenario.Outcome> outcomes, Map<String, String> errors,
                         Map<String, String> skipped, List<String> charts) {
    StringBuilder md = new StringBuilder();
    md.append("# Switchboard bench, ").append(machine.getString("date")).append("\n\n");
    md.append("Command: `").append(options.commandLine).append("`").append(options.quick ? " (quick smoke run: figures are not meaningful)" : "").append("\n\n");
    md.append("Machine: ").append(machine.getString("cpu")).append(", ").append(machine.getInteger("cores")).append(" cores, ")
      .append(machine.getLong("memoryMb")).append(" MB; Java ").append(machine.getString("java")).append("; server JVM flags: ")
      .append(machine.getString("serverFlags")).append("; server transport: ")
      .append(options.transport == null ? "the launcher's default" : options.transport).append(". Client and servers on the same machine, over loopback; ")
      .append("load average at start ").append(machine.getString("loadAverage")).append(".\n\n");
    skipped.forEach((t, why) -> md.append("**The ").append(t).append(" target was skipped**: ").append(why.replace("\n", " "))
      .append(" (its column stays empty).\n\n"));
    md.append(table(outcomes));
    md.append("\nRatios are ours ÷ the baseline, measured in the same run: *bare* a plain Vert.x WebSocket verticle, ")
      .append("*netty* a plain Netty 4.2 WebSocket echo pipeline on Vert.x's own event loops (frame codec + echo handler; echo only), ")
      .append("*naive* a 20-line clustered relay (request/reply to a consumer in another JVM), ")
      .append("*local* our gateway with the services in its own JVM (local event bus), ")
      .append("*node* one Node.js process on the `ws` package doing what bare does (`src/bench/node/server.js`). ")
      .append("CPU is summed over every server process of a target (from `/proc/<pid>/stat`, user + system), without the JIT ")
      .append("compiler threads (warm-up; kept in results.json), and never includes the load client. On loopback the kernel ")
      .append("charges much of the receiving side's TCP work to the sender, so server CPU includes part of the client's.\n");
    if (!errors.isEmpty()) {
      md.append("\n## Scenarios that failed\n\n");
      errors.forEach((s, e) -> md.append("- **").append(s).append("**: ").append(e.replace("\n", " ")).append('\n'));
    }
    if (!charts.isEmpty()) {
      md.append("\n## Charts\n\n");
      for (String c : charts) {
        md.append("![").append(c).append("](").append(c).append(")\n\n");
      }
    }
    return md.toString();
  }

  /** The figures table: ours, each baseline, ours ÷ each baseline, the goal and whether it was met. */
  static String table(Map<String, Scenario.Outcome> outcomes) {
    StringBuilder md = new StringBuilder();
    md.append("| scenario | figure | ").append(String.join(" | ", Target.ALL));
    Target.BASELINES.forEach(t -> md.append(" | ÷ ").append(t));
    md.append(" | target | met |\n| --- | --- |").append(" ---: |".repeat(Target.ALL.size() + Target.BASELINES.size())).append(" --- | --- |\n");
    outcomes.forEach((name, o) -> {
      for (Figure f : o.figures()) {
        md.append("| ").append(f.scenario()).append(" | ").append(f.metric()).append(" (").append(f.unit()).append(")");
        for (String t : Target.ALL) {
          md.append(" | ").append(number(f.values().get(t)));
        }
        for (String t : Target.BASELINES) {
          Double r = f.ratio(t);
          md.append(" | ").append(r == null ? "" : String.format(Locale.ROOT, "%.2f×", r));
        }
        md.append(" | ").append(f.goal()).append(" | ").append(f.met() == null ? (f.goal().isEmpty() ? "" : "n/a") : f.met() ? "yes" : "**no**");
        md.append(" |").append(f.note().isEmpty() ? "" : "").append('\n');
      }
    });
    StringBuilder notes = new StringBuilder();
    outcomes.forEach((name, o) -> o.figures().stream().filter(f -> !f.note().isEmpty())
      .forEach(f -> notes.append("- ").append(f.scenario()).append(", ").append(f.metric()).append(": ").append(f.note()).append('\n')));
    if (notes.length() > 0) {
      md.append("\nNotes:\n\n").append(notes);
    }
    return md.toString();
  }

  static String number(Double v) {
    if (v == null) {
      return "";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
