package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * echo: client → gateway JVM → service JVM → client, on every target. Per round and target: a
 * closed-loop warm-up, an open loop at a fixed rate (latency, server CPU per message), then a
 * closed loop (peak throughput). Targets take turns within a round; each target's best round
 * is reported, so a burst of outside load on the shared machine hurts one round, not the ratio.
 */
final class EchoScenario extends Scenario {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);
  static final int CONNECT_CONCURRENCY = 64;
  /** How long each round first measures the servers at rest (sockets open, no traffic). */
  static final int REST_S = 3;

  /** One target's measurements in one round. */
  private record Round(CpuWindow rest, Latency open, Traffic.Counts rated, CpuWindow openCpu, Latency closed, Traffic.Counts peak,
                       CpuWindow peakCpu) {
    /** Server CPU per message at the rated load above what the servers spend at rest (µs). */
    double microsAboveRest(long messages) {
      double restPerNano = rest.wallNanos() == 0 ? 0 : (double) rest.serverNanos() / rest.wallNanos();
      return messages <= 0 ? 0 : Math.max(0, openCpu.serverNanos() - restPerNano * openCpu.wallNanos()) / 1000.0 / messages;
    }

    JsonObject toJson(int rate) {
      return new JsonObject().put("rest", rest.toJson())
        .put("openLoop", new JsonObject().put("rate", rate).put("sent", rated.sent()).put("received", rated.received())
          .put("latency", open.toJson()).put("cpu", openCpu.toJson()).put("percentiles", percentiles(open)))
        .put("closedLoop", new JsonObject().put("msgsPerSecond", Math.round(peak.perSecond())).put("received", peak.received())
          .put("latency", closed.toJson()).put("cpu", peakCpu.toJson()));
    }
  }

  EchoScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "echo";
  }

  @Override
  void run() {
    Traffic traffic = new Traffic(options.payloadBytes);
    Map<String, List<Conn>> sockets = new LinkedHashMap<>();
    for (String name : fleet.running(Target.ALL)) {
      Target t = fleet.target(name);
      LoadClient.Opened opened = client.connectAll(t.ports(), BenchPaths.ECHO, options.connections, CONNECT_CONCURRENCY, null, CONNECT_TIMEOUT);
      if (opened.failures() > 0) {
        throw new IllegalStateException(name + ": " + opened.failures() + " of " + options.connections + " sockets failed: " + opened.firstError());
      }
      sockets.put(name, opened.conns());
    }
    Map<String, Round> bestOpen = new LinkedHashMap<>();
    Map<String, Round> bestPeak = new LinkedHashMap<>();
    Map<String, JsonArray> rounds = new LinkedHashMap<>();
    for (int r = 1; r <= options.rounds; r++) {
      for (String name : fleet.running(Target.ALL)) {
        Round round = measure(name, r, fleet.target(name), sockets.get(name), traffic);
        rounds.computeIfAbsent(name, n -> new JsonArray()).add(round.toJson(options.rate));
        bestOpen.merge(name, round, (a, b) -> b.open.ms(99) < a.open.ms(99) ? b : a);
        bestPeak.merge(name, round, (a, b) -> b.peak.perSecond() > a.peak.perSecond() ? b : a);
      }
    }
    sockets.values().forEach(conns -> LoadClient.closeAll(conns, Duration.ofSeconds(10)));

    String best = options.rounds > 1 ? "best of " + options.rounds + " rounds" : "";
    Figure cpu = Figure.of(name(), "server CPU per message at " + options.rate + " msg/s", "µs").note(best.isEmpty() ? "" : best + " (the round with the lowest p99)");
    Figure p99 = Figure.of(name(), "p99 latency at " + options.rate + " msg/s, " + options.connections + " sockets", "ms");
    Figure p50 = Figure.of(name(), "p50 latency at " + options.rate + " msg/s", "ms");
    Figure peak = Figure.of(name(), "peak throughput (closed loop)", "msg/s").note(best);
    Figure peakCpu = Figure.of(name(), "server CPU per message at peak", "µs");
    Figure lost = Figure.of(name(), "lost at " + options.rate + " msg/s", "msgs");
    Figure rest = Figure.of(name(), "server CPU at rest (sockets open, no traffic)", "ms/s")
      .note("every server process of the target, " + REST_S + " s before each round; of the best round");
    Figure aboveRest = Figure.of(name(), "server CPU per message at " + options.rate + " msg/s above the CPU at rest", "µs")
      .note("the first figure minus the CPU the same processes spent at rest just before, per message");
    for (String name : fleet.running(Target.ALL)) {
      Round o = bestOpen.get(name);
      Round p = bestPeak.get(name);
      cpu.value(name, round(o.openCpu.serverMicrosPer(o.rated.received()), 2));
      rest.value(name, round(o.rest.serverNanos() / 1e6 / (o.rest.wallNanos() / 1e9), 1));
      aboveRest.value(name, round(o.microsAboveRest(o.rated.received()), 2));
      p99.value(name, round(o.open.ms(99), 3));
      p50.value(name, round(o.open.ms(50), 3));
      lost.value(name, o.rated.lost());
      peak.value(name, Math.round(p.peak.perSecond()));
      peakCpu.value(name, round(p.peakCpu.serverMicrosPer(p.peak.received()), 2));
      raw.put(name, o.toJson(options.rate).put("closedLoop", p.toJson(options.rate).getJsonObject("closedLoop")).put("rounds", rounds.get(name)));
    }
    figures.add(cpu.goal("≤ 2× bare", ratioAtMost(cpu, Target.BARE, 2)));
    figures.add(peak.goal("≥ 1.5× naive", peak.ratio(Target.NAIVE) == null ? null : peak.ratio(Target.NAIVE) >= 1.5));
    figures.add(p99.goal("≤ 2 ms", p99.ours() == null ? null : p99.ours() <= 2.0));
    figures.add(p50);
    figures.add(rest);
    figures.add(aboveRest);
    figures.add(peakCpu);
    figures.add(lost.goal("0", lost.ours() == null ? null : lost.ours() == 0));
  }

  private Round measure(String name, int round, Target t, List<Conn> conns, Traffic traffic) {
    CpuWindow rest = CpuWindow.open(t.servers());
    LoadClient.sleep(REST_S * 1000L);
    rest.close();
    traffic.closedLoop(conns, options.warmupS, new Latency());
    Latency open = new Latency();
    CpuWindow openCpu = CpuWindow.open(t.servers());
    Traffic.Counts rated = traffic.openLoop(conns, conns, options.rate, options.durationS, 1, open);
    openCpu.close();
    Latency closed = new Latency();
    CpuWindow peakCpu = CpuWindow.open(t.servers());
    Traffic.Counts peak = traffic.closedLoop(conns, options.durationS, closed);
    peakCpu.close();
    say("round %d, %s: at rest %.1f ms/s; %d msg/s: p50 %.2f ms, p99 %.2f ms, %.1f µs server CPU/msg, %d lost; peak %.0f msg/s at %.1f µs/msg",
      round, name, rest.serverNanos() / 1e6 / (rest.wallNanos() / 1e9), options.rate, open.ms(50), open.ms(99),
      openCpu.serverMicrosPer(rated.received()), rated.lost(), peak.perSecond(), peakCpu.serverMicrosPer(peak.received()));
    return new Round(rest, open, rated, openCpu, closed, peak, peakCpu);
  }

  static Boolean ratioAtMost(Figure f, String baseline, double max) {
    Double r = f.ratio(baseline);
    return r == null ? null : r <= max;
  }

  /** The latency curve for the chart: percentile → ms. */
  static JsonObject percentiles(Latency latency) {
    JsonObject curve = new JsonObject();
    for (double p : Charts.CURVE_PERCENTILES) {
      curve.put(Double.toString(p), Latency.round(latency.ms(p)));
    }
    return curve;
  }
}
