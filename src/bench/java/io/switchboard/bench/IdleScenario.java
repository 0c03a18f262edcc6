package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * idle: N idle sockets held on one gateway JVM (each first proved open with one echo). Memory
 * growth of that JVM per socket: resident set ({@code VmRSS}) and heap after a full GC; and the
 * heap after a full GC and the RSS growth at each quarter of N on the way (idle-memory-curve.png,
 * idle-rss-curve.png).
 */
final class IdleScenario extends Scenario {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(180);
  static final Duration FIRST_ECHO_TIMEOUT = Duration.ofSeconds(60);
  static final int CONNECT_CONCURRENCY = 256;
  static final int HISTOGRAM_LINES = 40;
  /** The sockets are opened in this many steps, the heap measured after each. */
  static final int STEPS = 4;

  IdleScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "idle";
  }

  @Override
  void run() {
    int n = options.sockets;
    Figure rss = Figure.of(name(), "gateway RSS growth per idle socket, " + n + " sockets", "KB");
    Figure heap = Figure.of(name(), "gateway heap after GC per idle socket", "KB");
    Figure serviceHeap = Figure.of(name(), "service JVM heap after GC per session", "KB");
    for (String name : fleet.running(Target.ALL)) {
      Target t = fleet.target(name);
      ServerJvm gw = t.gateways().get(0);
      List<ServerJvm> others = t.servers().stream().filter(s -> !t.gateways().contains(s)).toList();
      long heapBefore = gw.jvm ? gw.heapAfterGc() : 0; // node: no heap figure
      long otherHeapBefore = others.stream().mapToLong(ServerJvm::heapAfterGc).sum();
      long rssBefore = gw.stats().rssBytes();
      List<Conn> conns = new java.util.ArrayList<>(n);
      int failures = 0;
      String firstError = null;
      long nanos = 0;
      io.vertx.core.json.JsonArray curve = new io.vertx.core.json.JsonArray().add(new io.vertx.core.json.JsonArray().add(0).add(0.0));
      io.vertx.core.json.JsonArray rssCurve = new io.vertx.core.json.JsonArray().add(new io.vertx.core.json.JsonArray().add(0).add(0.0));
      for (int step = 1; step <= STEPS; step++) {
        int want = (int) ((long) n * step / STEPS) - (int) ((long) n * (step - 1) / STEPS);
        LoadClient.Opened part = client.connectAll(t.ports(), BenchPaths.ECHO, want, CONNECT_CONCURRENCY,
          c -> LoadClient.roundTrip(c, "hello", FIRST_ECHO_TIMEOUT), CONNECT_TIMEOUT);
        conns.addAll(part.conns());
        failures += part.failures();
        firstError = firstError != null ? firstError : part.firstError();
        nanos += part.nanos();
        if (step < STEPS) {
          if (gw.jvm) {
            curve.add(new io.vertx.core.json.JsonArray().add(conns.size()).add(round((gw.heapAfterGc() - heapBefore) / 1048576.0, 2)));
          }
          rssCurve.add(new io.vertx.core.json.JsonArray().add(conns.size()).add(round((gw.stats().rssBytes() - rssBefore) / 1048576.0, 2)));
        }
      }
      LoadClient.Opened opened = new LoadClient.Opened(conns, failures, firstError, nanos);
      int open = opened.conns().size();
      if (open == 0) {
        throw new IllegalStateException(name + ": no socket opened: " + opened.firstError());
      }
      LoadClient.sleep(1000);
      long rssAfter = gw.stats().rssBytes();
      long heapAfter = gw.jvm ? gw.heapAfterGc() : 0;
      if (gw.jvm) {
        curve.add(new io.vertx.core.json.JsonArray().add(open).add(round((heapAfter - heapBefore) / 1048576.0, 2)));
      }
      rssCurve.add(new io.vertx.core.json.JsonArray().add(open).add(round((rssAfter - rssBefore) / 1048576.0, 2)));
      long otherHeapAfter = others.stream().mapToLong(ServerJvm::heapAfterGc).sum();
      if (!options.quick && gw.jvm) {
        saveHistogram(name, gw);
      }
      double rssKb = (rssAfter - rssBefore) / 1024.0 / open;
      double heapKb = (heapAfter - heapBefore) / 1024.0 / open;
      say("%s: %d sockets open (%d failed) in %.1f s: RSS +%.1f MB (%.2f KB/socket), heap after GC +%.1f MB (%.2f KB/socket)",
        name, open, opened.failures(), opened.nanos() / 1e9, (rssAfter - rssBefore) / 1e6, rssKb, (heapAfter - heapBefore) / 1e6, heapKb);
      rss.value(name, round(rssKb, 2));
      if (gw.jvm) {
        heap.value(name, round(heapKb, 2));
      }
      if (!others.isEmpty()) {
        serviceHeap.value(name, round((otherHeapAfter - otherHeapBefore) / 1024.0 / open, 2));
      }
      raw.put(name, new JsonObject().put("sockets", open).put("failed", opened.failures()).put("firstError", opened.firstError())
        .put("openSeconds", round(opened.nanos() / 1e9, 2))
        .put("gatewayRssBefore", rssBefore).put("gatewayRssAfter", rssAfter)
        .put("gatewayHeapBefore", heapBefore).put("gatewayHeapAfter", heapAfter)
        .put("otherJvmsHeapBefore", otherHeapBefore).put("otherJvmsHeapAfter", otherHeapAfter)
        .put("heapCurveMb", gw.jvm ? curve : null).put("rssCurveMb", rssCurve));
      LoadClient.closeAll(opened.conns(), Duration.ofSeconds(60));
    }
    figures.add(rss.goal("≤ 6 KB", rss.ours() == null ? null : rss.ours() <= 6));
    figures.add(heap);
    figures.add(serviceHeap.note("naive's echo consumer keeps no per-socket state"));
  }

  /** What the gateway JVM holds with the sockets open: the top of its class histogram, for the report. */
  private void saveHistogram(String target, ServerJvm gw) {
    try {
      java.nio.file.Files.writeString(fleet.dir().resolve("idle-histogram-" + target + ".txt"), gw.classHistogram(HISTOGRAM_LINES));
    } catch (java.io.IOException | RuntimeException e) {
      say("%s: no class histogram: %s", target, e.getMessage());
    }
  }
}
