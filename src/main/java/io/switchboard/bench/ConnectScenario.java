package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * connect: new sockets per second, each one counted once the service accepted it (its first
 * echo came back: the gateway reads nothing before the service's open reply).
 */
final class ConnectScenario extends Scenario {

  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final Duration ECHO_TIMEOUT = Duration.ofSeconds(30);

  ConnectScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "connect";
  }

  @Override
  void run() {
    int n = options.handshakes;
    Figure rate = Figure.of(name(), "handshakes/s to the service's open (+1 echo), " + options.connectConcurrency + " in flight", "/s");
    Figure cpu = Figure.of(name(), "server CPU per handshake", "µs");
    for (String name : Target.ALL) {
      Target t = fleet.target(name);
      // a short warm-up so that the JIT has seen the path
      LoadClient.closeAll(client.connectAll(t.ports(), BenchPaths.ECHO, Math.min(n, 500), options.connectConcurrency,
        c -> LoadClient.roundTrip(c, "warm", ECHO_TIMEOUT), TIMEOUT).conns(), Duration.ofSeconds(30));
      CpuWindow window = CpuWindow.open(t.servers());
      LoadClient.Opened opened = client.connectAll(t.ports(), BenchPaths.ECHO, n, options.connectConcurrency,
        c -> LoadClient.roundTrip(c, "hello", ECHO_TIMEOUT), TIMEOUT);
      window.close();
      double perSecond = opened.conns().size() * 1e9 / opened.nanos();
      say("%s: %d sockets in %.2f s = %.0f/s (%d failed), %.0f µs server CPU each", name, opened.conns().size(),
        opened.nanos() / 1e9, perSecond, opened.failures(), window.serverMicrosPer(opened.conns().size()));
      rate.value(name, Math.round(perSecond));
      cpu.value(name, round(window.serverMicrosPer(opened.conns().size()), 1));
      raw.put(name, new JsonObject().put("sockets", opened.conns().size()).put("failed", opened.failures())
        .put("firstError", opened.firstError()).put("seconds", round(opened.nanos() / 1e9, 3)).put("cpu", window.toJson()));
      LoadClient.closeAll(opened.conns(), Duration.ofSeconds(60));
    }
    figures.add(rate.goal("≥ 8 000/s", rate.ours() == null ? null : rate.ours() >= 8000)
      .note("bare and naive have no open step"));
    figures.add(cpu);
  }
}
