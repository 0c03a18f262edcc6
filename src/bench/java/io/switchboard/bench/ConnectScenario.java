package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * connect: new sockets per second, each one counted once the service accepted it (its first
 * echo came back: the gateway reads nothing before the service's open reply). Targets take turns
 * within a round; each target's best round is reported.
 */
final class ConnectScenario extends Scenario {

  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final Duration ECHO_TIMEOUT = Duration.ofSeconds(30);
  static final int WARMUP_HANDSHAKES = 1_000;

  ConnectScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "connect";
  }

  private record Round(double perSecond, double cpuMicros, JsonObject json) {
  }

  @Override
  void run() {
    int n = options.handshakes;
    for (String name : fleet.running(Target.ALL)) { // a warm-up so that the JIT has seen the path
      Target t = fleet.target(name);
      LoadClient.closeAll(client.connectAll(t.ports(), BenchPaths.ECHO, Math.min(n, WARMUP_HANDSHAKES), options.connectConcurrency,
        c -> LoadClient.roundTrip(c, "warm", ECHO_TIMEOUT), TIMEOUT).conns(), Duration.ofSeconds(30));
    }
    Map<String, Round> best = new LinkedHashMap<>();
    Map<String, JsonArray> rounds = new LinkedHashMap<>();
    for (int r = 1; r <= options.rounds; r++) {
      for (String name : fleet.running(Target.ALL)) {
        Round round = measure(r, name, fleet.target(name), n);
        rounds.computeIfAbsent(name, k -> new JsonArray()).add(round.json);
        best.merge(name, round, (a, b) -> b.perSecond > a.perSecond ? b : a);
      }
    }
    Figure rate = Figure.of(name(), "handshakes/s to the service's open (+1 echo), " + options.connectConcurrency + " in flight", "/s");
    Figure cpu = Figure.of(name(), "server CPU per handshake", "µs");
    best.forEach((name, r) -> {
      rate.value(name, Math.round(r.perSecond));
      cpu.value(name, round(r.cpuMicros, 1));
      raw.put(name, r.json.copy().put("rounds", rounds.get(name)));
    });
    figures.add(rate.goal("≥ 8 000/s", rate.ours() == null ? null : rate.ours() >= 8000)
      .note("bare, netty and naive have no open step" + (options.rounds > 1 ? "; best of " + options.rounds + " rounds" : "")));
    figures.add(cpu);
  }

  private Round measure(int round, String name, Target t, int n) {
    CpuWindow window = CpuWindow.open(t.servers());
    LoadClient.Opened opened = client.connectAll(t.ports(), BenchPaths.ECHO, n, options.connectConcurrency,
      c -> LoadClient.roundTrip(c, "hello", ECHO_TIMEOUT), TIMEOUT);
    window.close();
    int ok = opened.conns().size();
    double perSecond = ok * 1e9 / opened.nanos();
    say("round %d, %s: %d sockets in %.2f s = %.0f/s (%d failed), %.0f µs server CPU each", round, name, ok,
      opened.nanos() / 1e9, perSecond, opened.failures(), window.serverMicrosPer(ok));
    JsonObject json = new JsonObject().put("sockets", ok).put("failed", opened.failures())
      .put("firstError", opened.firstError()).put("seconds", round(opened.nanos() / 1e9, 3)).put("cpu", window.toJson());
    LoadClient.closeAll(opened.conns(), Duration.ofSeconds(60));
    return new Round(perSecond, window.serverMicrosPer(ok), json);
  }
}
