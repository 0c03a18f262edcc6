package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * presence: cluster-wide groups (issue 12) on ours, with {@link PresenceProbe} as one instance in
 * each of two service JVMs behind one gateway JVM.
 * <ul>
 *   <li>join → visible in the presence of every instance, p99, beside the baseline of a plain
 *       clustered event-bus publish from one instance to every instance (the same clock, the same path to the instance);</li>
 *   <li>{@code members()} and {@code count()} of a group of {@code --big-members} members, per call, in an instance;</li>
 *   <li>memory per membership: heap after a full GC, before and after those sockets (already open) join the group,
 *       in the gateway JVM and in each service JVM.</li>
 * </ul>
 */
final class PresenceScenario extends Scenario {

  static final int INSTANCES = 2;
  static final int JOINERS = 50;
  static final int QUICK_JOINS = 100;
  static final int JOINS = 1_000;
  static final int COST_CALLS = 200;
  static final long PACE_MS = 2;
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  PresenceScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "presence";
  }

  @Override
  void run() {
    Target sb = fleet.target(Target.SWITCHBOARD);
    ServerJvm gateway = sb.gateways().get(0);
    JsonObject services = new JsonObject().put("services", new JsonArray().add(new JsonObject()
      .put("verticle", PresenceProbe.class.getName())
      .put("config", new JsonObject().put("name", "presence").put("paths", new JsonArray().add(PresenceProbe.PATH)))));
    List<ServerJvm> instances = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(fleet.startServiceJvm("presence-service-" + (char) ('a' + i), services, "Service presence ready"));
    }
    gateway.await("(?s)Announced: service presence .*Announced: service presence ", Fleet.START_TIMEOUT);
    int port = sb.port();

    // observer: every instance's reports
    Map<String, List<Long>> reports = new ConcurrentHashMap<>();
    Latency joinLatency = new Latency();
    Latency busLatency = new Latency();
    AtomicInteger joinsSeen = new AtomicInteger();
    AtomicInteger busSeen = new AtomicInteger();
    LoadClient.Opened obs = client.connectAll(List.of(port), PresenceProbe.PATH, 1, 1, null, TIMEOUT);
    require(obs, 1);
    Conn observer = obs.conns().get(0);
    observer.onText(t -> {
      String[] w = t.split(" ");
      if (w.length == 5 && w[0].equals("seen")) {
        long micros = Long.parseLong(w[3]);
        List<Long> seen = reports.computeIfAbsent(w[1] + " " + w[4], k -> new ArrayList<>());
        synchronized (seen) {
          seen.add(micros);
          if (seen.size() == INSTANCES) { // visible everywhere: the slowest instance
            long max = seen.stream().mapToLong(Long::longValue).max().orElse(0);
            (w[1].equals("join") ? joinLatency : busLatency).recordSince(System.nanoTime() - max * 1000);
            (w[1].equals("join") ? joinsSeen : busSeen).incrementAndGet();
          }
        }
      }
    });
    observer.run(() -> observer.ws.writeTextMessage("observe"));

    LoadClient.Opened joiners = client.connectAll(List.of(port), PresenceProbe.PATH, JOINERS, JOINERS, null, TIMEOUT);
    require(joiners, JOINERS);
    // warm-up (also proves the observer is in its group): until one join is seen everywhere
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    for (int k = 0; joinsSeen.get() == 0; k++) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no join reported by " + INSTANCES + " instances within " + TIMEOUT.toSeconds() + " s");
      }
      send(joiners.conns().get(0), "join warm-" + k + " ");
      LoadClient.sleep(100);
    }
    LoadClient.sleep(500);
    joinLatency.reset();
    busLatency.reset();
    joinsSeen.set(0);
    busSeen.set(0);

    int joins = options.quick ? QUICK_JOINS : JOINS;
    for (int k = 0; k < joins; k++) {
      send(joiners.conns().get(k % JOINERS), "join vis-" + k + " ");
      LoadClient.sleep(PACE_MS);
    }
    awaitCount(joinsSeen, joins, "joins seen by every instance");
    for (int k = 0; k < joins; k++) {
      send(joiners.conns().get(k % JOINERS), "bus ");
      LoadClient.sleep(PACE_MS);
    }
    awaitCount(busSeen, joins, "publishes seen by every instance");
    say("join → visible on all %d instances: p50 %.2f ms, p99 %.2f ms (%d joins); bus publish baseline p50 %.2f ms, p99 %.2f ms",
      INSTANCES, joinLatency.ms(50), joinLatency.ms(99), joins, busLatency.ms(50), busLatency.ms(99));

    // a big group: cost of members()/count(), memory per membership
    int m = options.bigMembers;
    LoadClient.Opened members = client.connectAll(List.of(port), PresenceProbe.PATH, m, FanoutScenario.CONNECT_CONCURRENCY, null, FanoutScenario.CONNECT_TIMEOUT);
    require(members, m);
    long gwBefore = gateway.heapAfterGc();
    List<Long> svcBefore = instances.stream().map(ServerJvm::heapAfterGc).toList();
    for (Conn c : members.conns()) {
      c.run(() -> c.ws.writeTextMessage("member big b" + c.index));
    }
    // ask sockets (16 more each round) until a socket of each instance answered that the group is full there
    Map<String, long[]> costs = new ConcurrentHashMap<>();
    Map<String, Conn> socketOf = new ConcurrentHashMap<>();
    deadline = System.nanoTime() + TIMEOUT.toNanos();
    for (int round = 0; costs.size() < INSTANCES || costs.values().stream().anyMatch(c -> c[0] < m); round++) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the group did not reach " + m + " members on every instance: " + describe(costs));
      }
      for (int i = 0; i < 16; i++) {
        Conn c = members.conns().get((round * 16 + i) % m);
        c.onText(t -> onCost(t, c, costs, socketOf));
        c.run(() -> c.ws.writeTextMessage("cost big 1"));
      }
      LoadClient.sleep(500);
    }
    costs.clear();
    for (Conn c : socketOf.values()) {
      c.run(() -> c.ws.writeTextMessage("cost big " + COST_CALLS));
    }
    deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (costs.size() < INSTANCES && System.nanoTime() < deadline) {
      LoadClient.sleep(50);
    }
    long gwAfter = gateway.heapAfterGc();
    List<Long> svcAfter = instances.stream().map(ServerJvm::heapAfterGc).toList();
    double gwBytes = (gwAfter - gwBefore) / (double) m;
    double svcBytes = 0;
    for (int i = 0; i < INSTANCES; i++) {
      svcBytes += (svcAfter.get(i) - svcBefore.get(i)) / (double) m / INSTANCES;
    }
    double membersMicros = costs.values().stream().mapToLong(c -> c[1]).average().orElse(0) / 1000.0;
    double countMicros = costs.values().stream().mapToLong(c -> c[2]).average().orElse(0) / 1000.0;
    say("%d-member group: members() %.1f µs/call, count() %.3f µs/call; memory per membership: gateway JVM %.0f B, service JVM %.0f B",
      m, membersMicros, countMicros, gwBytes, svcBytes);
    LoadClient.closeAll(members.conns(), Duration.ofSeconds(60));
    LoadClient.closeAll(joiners.conns(), Duration.ofSeconds(30));
    LoadClient.closeAll(obs.conns(), Duration.ofSeconds(10));

    String on = " (" + INSTANCES + " service JVMs, 1 gateway JVM)";
    figures.add(Figure.of(name(), "join → visible on every instance, p99" + on, "ms").value(Target.SWITCHBOARD, round(joinLatency.ms(99), 3))
      .note("baseline in the next row: the same path ending in a plain clustered event-bus publish to every instance"));
    figures.add(Figure.of(name(), "baseline: event-bus publish → every instance, p99" + on, "ms").value(Target.SWITCHBOARD, round(busLatency.ms(99), 3)));
    figures.add(Figure.of(name(), "members() of a " + m + "-member group, per call", "µs").value(Target.SWITCHBOARD, round(membersMicros, 2)));
    figures.add(Figure.of(name(), "count() of a " + m + "-member group, per call", "µs").value(Target.SWITCHBOARD, round(countMicros, 3)));
    figures.add(Figure.of(name(), "memory per membership, gateway JVM", "B").value(Target.SWITCHBOARD, round(gwBytes, 0))
      .note("heap after a full GC, before and after " + m + " open sockets join one group with a {\"name\":...} meta"));
    figures.add(Figure.of(name(), "memory per membership, each service JVM (its replica)", "B").value(Target.SWITCHBOARD, round(svcBytes, 0)));
    raw.put("joinVisible", new JsonObject().put("joins", joins).put("instances", INSTANCES).put("latency", joinLatency.toJson())
        .put("percentiles", EchoScenario.percentiles(joinLatency)))
      .put("busBaseline", new JsonObject().put("latency", busLatency.toJson()).put("percentiles", EchoScenario.percentiles(busLatency)))
      .put("bigGroup", new JsonObject().put("members", m).put("costs", describe(costs)).put("gatewayHeapBefore", gwBefore)
        .put("gatewayHeapAfter", gwAfter).put("serviceHeapBefore", new JsonArray(svcBefore)).put("serviceHeapAfter", new JsonArray(svcAfter)));
  }

  private static void onCost(String text, Conn c, Map<String, long[]> costs, Map<String, Conn> socketOf) {
    String[] w = text.split(" ");
    if (w[0].equals("cost")) {
      costs.put(w[1], new long[]{Long.parseLong(w[2]), Long.parseLong(w[3]), Long.parseLong(w[4])});
      socketOf.putIfAbsent(w[1], c);
    }
  }

  /** Writes {@code prefix} plus the current nanoTime on the socket's own event loop. */
  private static void send(Conn c, String prefix) {
    c.run(() -> c.ws.writeTextMessage(prefix + System.nanoTime()));
  }

  private static void awaitCount(AtomicInteger count, int target, String what) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (count.get() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + count.get() + " of " + target + " " + what + " within " + TIMEOUT.toSeconds() + " s");
      }
      LoadClient.sleep(20);
    }
  }

  private static void require(LoadClient.Opened opened, int n) {
    if (opened.failures() > 0) {
      throw new IllegalStateException(opened.failures() + " of " + n + " sockets failed to connect: " + opened.firstError());
    }
  }

  private static JsonObject describe(Map<String, long[]> costs) {
    JsonObject j = new JsonObject();
    costs.forEach((instance, c) -> j.put(instance, new JsonObject().put("count", c[0]).put("membersNanos", c[1]).put("countNanos", c[2])));
    return j;
  }
}
