package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** One bench scenario: runs against the fleet, returns its figures and raw measurements. */
abstract class Scenario {

  /** What a scenario measured: report rows, and everything measured per target for results.json. */
  record Outcome(List<Figure> figures, JsonObject raw) {
  }

  final BenchOptions options;
  final Fleet fleet;
  final LoadClient client;
  final Consumer<String> progress;
  final List<Figure> figures = new ArrayList<>();
  final JsonObject raw = new JsonObject();

  Scenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    this.options = options;
    this.fleet = fleet;
    this.client = client;
    this.progress = progress;
  }

  abstract String name();

  abstract void run();

  Outcome outcome() {
    return new Outcome(figures, raw);
  }

  void say(String format, Object... args) {
    progress.accept("[" + name() + "] " + String.format(format, args));
  }

  static double round(double v, int decimals) {
    double f = Math.pow(10, decimals);
    return Math.round(v * f) / f;
  }
}
