package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * runtime: a new service JVM ({@code late}, routed at {@code /late}) joins our cluster; how long
 * from its "ready" line to the first session that works on it. Then it is killed with
 * {@code kill -9} while it holds sessions; how long until the gateway handles them (closes them,
 * or re-opens them elsewhere). Ours only: the baselines have no such thing.
 */
final class RuntimeScenario extends Scenario {

  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  static final Duration ROUTABLE_TIMEOUT = Duration.ofSeconds(20);
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
  static final long POLL_MS = 10;

  RuntimeScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "runtime";
  }

  @Override
  void run() {
    Target t = fleet.target(Target.SWITCHBOARD);
    say("starting a service JVM named late ...");
    ServerJvm late = fleet.startLateService();
    long ready = late.await("Service late ready", READY_TIMEOUT);
    long routable = awaitRoutable(t.port(), ready);
    double routableMs = (routable - ready) / 1e6;
    say("late: routable %.0f ms after its ready line", routableMs);
    figures.add(Figure.of(name(), "service JVM ready → routable", "ms").value(Target.SWITCHBOARD, round(routableMs, 1))
      .goal("≤ 1 000 ms", routableMs <= 1000).note("/late is routed to service late in gateway.json; the gateway learns the new instance from the cluster (discovery announce or bus subscription)"));

    int n = options.runtimeSessions;
    LoadClient.Opened opened = client.connectAll(List.of(t.port()), BenchPaths.LATE, n, 64,
      c -> LoadClient.roundTrip(c, "hello", Duration.ofSeconds(10)), Duration.ofSeconds(60));
    List<Conn> conns = opened.conns();
    say("late holds %d sessions; kill -9 ...", conns.size());
    long killed = System.nanoTime();
    late.kill();
    long deadline = killed + Duration.ofSeconds(options.killWaitS).toNanos();
    long lastClosed = 0;
    int handled = 0;
    while (System.nanoTime() < deadline) {
      handled = (int) conns.stream().filter(Conn::isClosed).count();
      if (handled == conns.size()) {
        lastClosed = System.nanoTime();
        break;
      }
      LoadClient.sleep(POLL_MS);
    }
    Figure kill = Figure.of(name(), "kill -9 of a service JVM → its " + conns.size() + " sessions handled", "ms");
    if (lastClosed > 0 && !conns.isEmpty()) {
      double ms = (lastClosed - killed) / 1e6;
      say("all %d sessions closed %.0f ms after kill -9", conns.size(), ms);
      figures.add(kill.value(Target.SWITCHBOARD, round(ms, 1)).goal("≤ 3 000 ms", ms <= 3000));
    } else {
      say("%d of %d sessions handled within %d s: n/a", handled, conns.size(), options.killWaitS);
      figures.add(kill.goal("≤ 3 000 ms", null).note("n/a: only " + handled + " of " + conns.size()
        + " sessions closed within " + options.killWaitS + " s of the kill"));
    }
    raw.put("late", new JsonObject().put("readyToRoutableMs", round(routableMs, 1)).put("sessions", conns.size())
      .put("handledAfterKill", handled).put("killToHandledMs", lastClosed > 0 ? round((lastClosed - killed) / 1e6, 1) : null)
      .put("killWaitSeconds", options.killWaitS));
    LoadClient.closeAll(conns, Duration.ofSeconds(10));
  }

  /** Polls new sessions on {@code /late} until one echoes; returns when that first happened. */
  private long awaitRoutable(int port, long since) {
    long deadline = since + ROUTABLE_TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        Conn c = LoadClient.await(client.connect(port, BenchPaths.LATE, 0), PROBE_TIMEOUT.plusSeconds(5));
        try {
          LoadClient.await(LoadClient.roundTrip(c, "hello", PROBE_TIMEOUT), PROBE_TIMEOUT.plusSeconds(1));
          return System.nanoTime();
        } finally {
          c.ws.close();
        }
      } catch (RuntimeException e) {
        last = e.getMessage();
        LoadClient.sleep(POLL_MS);
      }
    }
    throw new IllegalStateException("/late not routable within " + ROUTABLE_TIMEOUT.toSeconds() + " s of its ready line: " + last);
  }
}
