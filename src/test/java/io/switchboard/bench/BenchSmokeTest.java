package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code launcher/bench all --quick} in this JVM, against real server JVMs on private clusters
 * (the netty baseline always; the node baseline when node and its ws package are there, skipped with a note otherwise):
 * proves the tool runs every scenario and writes sane figures, a report and charts. Nothing here
 * asserts a performance figure (the machine is shared); the full run is {@code launcher/bench all}.
 */
@DisplayName("The bench, in a quick smoke run of every scenario")
class BenchSmokeTest {

  private static Path dir;
  private static JsonObject results;
  private static String report;
  /** The targets that ran: every one but those skipped (node without node or ws). */
  private static List<String> targets;

  @BeforeAll
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // the whole quick bench, far above the usual 3-minute default
  static void runQuickBench() throws IOException {
    Path out = Path.of("target", "bench-smoke");
    Bench.Result result = Bench.run(BenchOptions.parse("all", "--quick", "--out", out.toString()), System.out::println);
    dir = result.dir();
    assertTrue(result.errors().isEmpty(), "scenarios failed: " + result.errors());
    results = new JsonObject(Files.readString(dir.resolve("results.json")));
    report = Files.readString(dir.resolve("report.md"));
    JsonObject skipped = results.getJsonObject("skippedTargets");
    assertEquals(result.skipped().keySet(), skipped.getMap().keySet());
    targets = Target.ALL.stream().filter(t -> !skipped.containsKey(t)).toList();
  }

  @Test
  @DisplayName("echo: ours and every baseline have a latency, a CPU per message and a peak throughput; ours its CPU at rest and above it")
  void echo() {
    for (String metric : List.of("server CPU per message at", "p99 latency", "peak throughput")) {
      JsonObject f = figure("echo", metric);
      for (String target : targets) {
        assertPositive(f, target);
      }
    }
    assertEquals(0.0, figure("echo", "lost").getJsonObject("values").getDouble(Target.SWITCHBOARD));
    assertTrue(report.contains("| echo | peak throughput"), report);
    // a clustered JVM always spends something at rest (heartbeats): ours has a CPU at rest, and a part above it
    assertPositive(figure("echo", "server CPU at rest"), Target.SWITCHBOARD);
    assertPositive(figure("echo", "above the CPU at rest"), Target.SWITCHBOARD);
  }

  @Test
  @DisplayName("fanout: every member got every message, on one gateway and across two")
  void fanout() {
    assertPositive(figure("fanout", "server CPU per delivery, " + BenchOptions.QUICK_MEMBERS), Target.SWITCHBOARD);
    assertPositive(figure("fanout", "p99 latency, " + BenchOptions.QUICK_BIG_MEMBERS), Target.SWITCHBOARD);
    for (String metric : List.of("lost deliveries, " + BenchOptions.QUICK_MEMBERS, "lost deliveries, " + BenchOptions.QUICK_BIG_MEMBERS)) {
      assertEquals(0.0, figure("fanout", metric).getJsonObject("values").getDouble(Target.SWITCHBOARD), metric);
    }
  }

  @Test
  @DisplayName("chat: the seed chat's join burst and fan-out on ours, bare (and node), every member got every posted message")
  void chat() {
    List<String> chatTargets = targets.stream().filter(ChatFanoutScenario.TARGETS::contains).toList();
    assertTrue(chatTargets.containsAll(List.of(Target.SWITCHBOARD, Target.BARE)), chatTargets.toString());
    for (String metric : List.of("join burst: " + BenchOptions.QUICK_MEMBERS + " members", BenchOptions.QUICK_CHAT_BIG_MEMBERS + " members connect and join",
      "p99 latency of deliveries, " + BenchOptions.QUICK_MEMBERS + " members", "p99 latency of deliveries, " + BenchOptions.QUICK_CHAT_BIG_MEMBERS + " members")) {
      JsonObject f = figure("chat", metric);
      for (String target : chatTargets) {
        assertPositive(f, target);
      }
    }
    for (int members : new int[] {BenchOptions.QUICK_MEMBERS, BenchOptions.QUICK_CHAT_BIG_MEMBERS}) {
      JsonObject cpu = figure("chat", "server CPU per delivery, " + members + " members");
      assertPositive(cpu, Target.SWITCHBOARD);
      for (String target : chatTargets) { // a baseline's quick window may stay under one 10 ms clock tick: 0
        assertNotNull(cpu.getJsonObject("values").getDouble(target), target + ", " + members + " members");
      }
    }
    for (int members : new int[] {BenchOptions.QUICK_MEMBERS, BenchOptions.QUICK_CHAT_BIG_MEMBERS}) {
      JsonObject lost = figure("chat", "lost deliveries, " + members + " members").getJsonObject("values");
      for (String target : chatTargets) {
        assertEquals(0.0, lost.getDouble(target), target + ", " + members + " members");
      }
    }
    // the deliveries counted are the posted messages' only: sent × members, not the count updates
    JsonObject ours = results.getJsonObject("raw").getJsonObject("chat").getJsonObject(Target.SWITCHBOARD + "-" + BenchOptions.QUICK_MEMBERS);
    assertTrue(ours.getLong("sent") > 0, ours.encode());
    assertEquals(ours.getLong("sent") * BenchOptions.QUICK_MEMBERS, ours.getLong("delivered"), ours.encode());
    assertEquals(BenchOptions.QUICK_MEMBERS, ours.getJsonObject("join").getInteger("confirmed"), ours.encode());
  }

  @Test
  @DisplayName("node: measured beside the other baselines when node and ws are there, else skipped with the reason in report.md")
  void node() {
    if (targets.contains(Target.NODE)) {
      assertPositive(figure("echo", "peak throughput"), Target.NODE);
      assertNotNull(figure("idle", "RSS growth").getJsonObject("values").getDouble(Target.NODE));
      assertTrue(report.contains("| node | ÷ bare |"), report);
    } else {
      assertTrue(report.contains("**The node target was skipped**: "), report);
      assertFalse(figure("echo", "peak throughput").getJsonObject("values").containsKey(Target.NODE));
    }
  }

  @Test
  @DisplayName("idle: memory per socket measured on each target's gateway JVM")
  void idle() {
    JsonObject raw = results.getJsonObject("raw").getJsonObject("idle");
    for (String target : targets) {
      assertEquals(BenchOptions.QUICK_SOCKETS, raw.getJsonObject(target).getInteger("sockets"), target);
      assertNotNull(figure("idle", "RSS growth").getJsonObject("values").getDouble(target), target);
    }
  }

  @Test
  @DisplayName("netty: the plain Netty pipeline has its heap and RSS per idle socket, its heap curve, an echo and a connect figure, and no fan-out")
  void netty() {
    assertTrue(targets.contains(Target.NETTY), targets.toString()); // never skipped: it is a JVM like bare
    // present, not positive: 300 sockets' growth is within a quick run's noise (no performance assertion here)
    assertNotNull(figure("idle", "heap after GC per idle socket").getJsonObject("values").getDouble(Target.NETTY));
    assertNotNull(figure("idle", "RSS growth").getJsonObject("values").getDouble(Target.NETTY));
    JsonArray curve = results.getJsonObject("raw").getJsonObject("idle").getJsonObject(Target.NETTY).getJsonArray("heapCurveMb");
    assertEquals(IdleScenario.STEPS + 1, curve.size(), curve.encode()); // 0, then after each of the four steps
    assertEquals(BenchOptions.QUICK_SOCKETS, curve.getJsonArray(IdleScenario.STEPS).getInteger(0), curve.encode());
    JsonArray rss = results.getJsonObject("raw").getJsonObject("idle").getJsonObject(Target.NETTY).getJsonArray("rssCurveMb");
    assertEquals(IdleScenario.STEPS + 1, rss.size(), rss.encode());
    assertPositive(figure("echo", "peak throughput"), Target.NETTY);
    assertPositive(figure("connect", "handshakes/s"), Target.NETTY);
    JsonObject fanout = figure("fanout", "server CPU per delivery, " + BenchOptions.QUICK_MEMBERS);
    assertFalse(fanout.getJsonObject("values").containsKey(Target.NETTY), fanout.encode());
    assertTrue(fanout.getString("note").contains("netty not measured"), fanout.encode());
    assertTrue(report.contains("| idle | gateway heap after GC per idle socket (KB) |"), report);
    assertTrue(report.contains("*netty* a plain Netty 4.2 WebSocket echo pipeline"), report);
  }

  @Test
  @DisplayName("connect: handshakes per second through each target")
  void connect() {
    JsonObject f = figure("connect", "handshakes/s");
    for (String target : targets) {
      assertPositive(f, target);
    }
  }

  @Test
  @DisplayName("runtime: a late service becomes routable, and after its kill -9 every one of its sessions is handled")
  void runtime() {
    assertPositive(figure("runtime", "ready → routable"), Target.SWITCHBOARD);
    JsonObject kill = figure("runtime", "kill -9");
    assertPositive(kill, Target.SWITCHBOARD); // "n/a" (sessions not all handled in time) has no value and fails here
    JsonObject late = results.getJsonObject("raw").getJsonObject("runtime").getJsonObject("late");
    assertTrue(late.getInteger("sessions") > 0, late.encode());
    assertEquals(late.getInteger("sessions"), late.getInteger("handledAfterKill"), "every session of the killed JVM handled: " + late.encode());
  }

  @Test
  @DisplayName("scale: three gateway JVMs hold their sockets, with heap and RSS per socket, the cluster's bus traffic and CPU at rest, and the arithmetic for 1 M sockets")
  void scale() {
    JsonObject raw = results.getJsonObject("raw").getJsonObject("scale");
    JsonArray levels = raw.getJsonArray("levels");
    assertEquals(3, levels.size(), levels.encode()); // 0 sockets, a third, all
    int[] expected = {0, BenchOptions.QUICK_SCALE_SOCKETS / 3, BenchOptions.QUICK_SCALE_SOCKETS};
    for (int i = 0; i < expected.length; i++) {
      JsonObject level = levels.getJsonObject(i);
      assertEquals(new JsonArray().add(expected[i]).add(expected[i]).add(expected[i]), level.getJsonArray("socketsPerGateway"), level.encode());
      JsonObject bus = level.getJsonObject("bus");
      // the cluster never rests silent: Hazelcast's heartbeats and the registry's announces cross it at any socket count
      assertTrue(bus.getInteger("connections") > 0 && bus.getLong("bytes") > 0, bus.encode());
      assertTrue(bus.getJsonObject("hazelcast").getDouble("bytesPerSecond") > 0, bus.encode());
      assertTrue(bus.getJsonObject("eventBus").getDouble("bytesPerSecond") > 0, bus.encode());
      assertEquals(ScaleScenario.GATEWAYS + 1, level.getJsonObject("cpuMsPerSecondByJvm").size(), level.encode());
    }
    // the gateways' open files grew by the sockets they hold
    JsonArray fdsZero = levels.getJsonObject(0).getJsonArray("gatewayOpenFiles");
    JsonArray fdsAll = levels.getJsonObject(2).getJsonArray("gatewayOpenFiles");
    for (int g = 0; g < ScaleScenario.GATEWAYS; g++) {
      assertTrue(fdsAll.getInteger(g) - fdsZero.getInteger(g) >= BenchOptions.QUICK_SCALE_SOCKETS, fdsZero.encode() + " → " + fdsAll.encode());
    }
    assertFalse(raw.getJsonArray("clusterPorts").isEmpty(), raw.encode());
    for (Object port : raw.getJsonArray("gatewayPorts")) {
      assertFalse(raw.getJsonArray("clusterPorts").contains(port), "a WebSocket port counted as the cluster's: " + raw.encode());
    }
    assertEquals((double) BenchOptions.QUICK_SCALE_SOCKETS, figure("scale", "idle sockets held per gateway JVM").getJsonObject("values").getDouble(Target.SWITCHBOARD));
    for (String metric : List.of("gateway heap after GC per idle socket, 3 ×", "gateway RSS growth per idle socket, 3 ×",
      "cluster bus traffic at rest per 1 000 sockets", "gateway CPU at rest per 1 000 sockets")) {
      assertNotNull(figure("scale", metric).getJsonObject("values").getDouble(Target.SWITCHBOARD), metric); // present; noise at this size
    }
    assertPositive(figure("scale", "cluster bus traffic at rest, 0 sockets"), Target.SWITCHBOARD);
    JsonObject paper = raw.getJsonObject("onPaper");
    assertEquals((1_000_000 + BenchOptions.QUICK_SCALE_SOCKETS - 1) / BenchOptions.QUICK_SCALE_SOCKETS,
      paper.getJsonObject("atThisLimit").getInteger("gatewayJvms"), paper.encode());
    assertEquals(1_000_000 / ScaleScenario.PRODUCTION_SOCKETS_PER_JVM, paper.getJsonObject("atProductionLimit").getInteger("gatewayJvms"), paper.encode());
    assertTrue(report.contains("| scale | cluster bus traffic at rest, 0 sockets"), report);
  }

  @Test
  @DisplayName("writes results.json, a report.md table and PNG charts")
  void files() throws IOException {
    assertTrue(report.contains("| scenario | figure | switchboard | bare | netty | naive | local |"), report);
    JsonArray charts = results.getJsonArray("charts");
    for (String idle : List.of("idle-memory.png", "idle-memory-curve.png", "idle-rss-curve.png")) {
      assertTrue(charts.contains(idle), idle + " is missing from " + charts.encode());
    }
    for (Object c : charts) {
      byte[] png = Files.readAllBytes(dir.resolve((String) c));
      assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', c + " is not a PNG");
    }
  }

  private static JsonObject figure(String scenario, String metricPart) {
    for (Object o : results.getJsonArray("figures")) {
      JsonObject f = (JsonObject) o;
      if (f.getString("scenario").equals(scenario) && f.getString("metric").contains(metricPart)) {
        return f;
      }
    }
    throw new AssertionError("no " + scenario + " figure \"..." + metricPart + "...\" in " + results.getJsonArray("figures").encodePrettily());
  }

  private static void assertPositive(JsonObject figure, String target) {
    Double v = figure.getJsonObject("values").getDouble(target);
    assertNotNull(v, target + " has no " + figure.getString("metric"));
    assertTrue(v > 0, target + ": " + figure.getString("metric") + " = " + v);
  }
}
