package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * scale: what a million sockets need, measured at the largest count this machine allows. Three
 * gateway JVMs and an echo services JVM on a private cluster of their own; one {@link ScaleClient}
 * process per gateway (a process may have 20 000 open files here, so the bench JVM could not hold
 * them all) opens {@code --scale-sockets} idle sockets on it, each proved open with one echo, in
 * two steps (a third, then all). At 0 sockets and after each step: each gateway's heap after a
 * full GC, RSS and open files; then, with the cluster at rest ({@code --rest} seconds, no traffic
 * but the gateways' keep-alive pings), the bytes and segments on the cluster's own TCP connections
 * ({@link ClusterTraffic}: Hazelcast and the clustered event bus, not the WebSockets) and the CPU
 * of each JVM. The figures are per gateway JVM and per 1 000 sockets, with the arithmetic for
 * 1 M sockets in {@code results.json} ({@code raw.scale.onPaper}).
 */
final class ScaleScenario extends Scenario {

  static final int GATEWAYS = 3;
  /** Each load-client process's heap: ~10 KB per client socket, 18 000 of them, with room. */
  static final String CLIENT_HEAP = "1g";
  /** The sockets per gateway are opened in these fractions: a third, then all (the figures at rest compare the two). */
  static final int[] STEP_THIRDS = {1, 3};
  static final Duration OPEN_TIMEOUT = IdleScenario.CONNECT_TIMEOUT.plus(IdleScenario.FIRST_ECHO_TIMEOUT).plusSeconds(60);
  static final long SETTLE_MS = 2_000;
  static final long MILLION = 1_000_000;
  /** A production gateway JVM's sockets with the open-files limit raised (BENCHMARKS.md, A million sockets, says why). */
  static final int PRODUCTION_SOCKETS_PER_JVM = 100_000;
  /** The kernel slab caches every TCP socket holds one object of (an IPv6 socket: Java opens dual-stack sockets). */
  static final List<String> SOCKET_SLABS = List.of("TCPv6", "sock_inode_cache", "filp", "dentry", "eventpoll_epi");
  private static final Pattern REPLY = Pattern.compile("reply (\\d+) open (\\d+) alive (\\d+) failed (\\d+) seconds (\\S+) error (.*)$");
  private static final Pattern SOCKSTAT_MEM = Pattern.compile("^TCP:.* mem (\\d+)", Pattern.MULTILINE);
  private static final long PAGE = 4096;

  private int replies;

  ScaleScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "scale";
  }

  /** What was measured at one socket count: per gateway, and the cluster at rest. */
  private record Level(int[] sockets, long[] heap, long[] rss, int[] fds, double[] cpuMsPerS, ClusterTraffic.Delta bus,
                       long sockstatMemPages, long slabBytes, JsonObject json) {
    int total() {
      int sum = 0;
      for (int s : sockets) {
        sum += s;
      }
      return sum;
    }
  }

  @Override
  void run() {
    int n = options.scaleSockets;
    Fleet.ScaleCluster cluster = fleet.scaleCluster(GATEWAYS);
    Target t = cluster.target();
    Set<Long> pids = t.servers().stream().map(ServerJvm::pid).collect(Collectors.toSet());
    Set<Integer> clusterPorts = new TreeSet<>(ClusterTraffic.listeningPorts(pids));
    clusterPorts.removeAll(t.ports());
    if (clusterPorts.isEmpty()) {
      throw new IllegalStateException("no cluster port found among the ports the scale JVMs listen on");
    }
    say("%d gateway JVMs on ports %s, cluster (Hazelcast, event bus) on %s", GATEWAYS, t.ports(), clusterPorts);
    List<ServerJvm> clients = new ArrayList<>();
    for (int i = 0; i < GATEWAYS; i++) {
      clients.add(fleet.startScaleClient("scale-client-" + (i + 1), t.ports().get(i), BenchPaths.ECHO));
    }
    List<Level> levels = new ArrayList<>();
    try {
      levels.add(measure(cluster, clients, clusterPorts, new int[GATEWAYS]));
      int held = 0;
      for (int thirds : STEP_THIRDS) {
        int want = (int) ((long) n * thirds / 3);
        if (want <= held) {
          continue;
        }
        int[] open = open(clients, want - held, want);
        held = want;
        levels.add(measure(cluster, clients, clusterPorts, open));
      }
    } finally {
      for (ServerJvm c : clients) {
        try {
          c.send("close");
        } catch (java.io.UncheckedIOException e) { // it is gone already: what failed is reported, not this
          say("%s: %s", c.name, e.getMessage());
        }
      }
    }
    report(t, clusterPorts, levels);
  }

  /** Opens {@code more} sockets through every client at once; returns the sockets each then holds. */
  private int[] open(List<ServerJvm> clients, int more, int want) {
    long t0 = System.nanoTime();
    int reply = ++replies;
    for (ServerJvm c : clients) {
      c.send("open " + more);
    }
    int[] open = new int[clients.size()];
    for (int i = 0; i < clients.size(); i++) {
      Matcher m = reply(clients.get(i), reply);
      open[i] = Integer.parseInt(m.group(3));
      if (open[i] < want) {
        throw new IllegalStateException(clients.get(i).name + " holds " + open[i] + " of " + want + " sockets ("
          + m.group(4) + " failed to open: " + m.group(6) + ")");
      }
    }
    say("%d sockets open per gateway (%d in all) in %.1f s", want, want * clients.size(), (System.nanoTime() - t0) / 1e9);
    return open;
  }

  /** Asks every client how many of its sockets are still open (none may have been closed at rest). */
  private void checkAlive(List<ServerJvm> clients, int[] open) {
    int reply = ++replies;
    for (ServerJvm c : clients) {
      c.send("open 0");
    }
    for (int i = 0; i < clients.size(); i++) {
      int alive = Integer.parseInt(reply(clients.get(i), reply).group(3));
      if (alive != open[i]) {
        throw new IllegalStateException(clients.get(i).name + ": " + (open[i] - alive) + " of " + open[i] + " sockets closed while at rest");
      }
    }
  }

  private static Matcher reply(ServerJvm client, int reply) {
    String line = client.awaitLine("scale-client: reply " + reply + " ", OPEN_TIMEOUT);
    Matcher m = REPLY.matcher(line);
    if (!m.find()) {
      throw new IllegalStateException(client.name + " answered: " + line);
    }
    return m;
  }

  /** The memory figures now, then the cluster at rest for {@code --rest} seconds. */
  private Level measure(Fleet.ScaleCluster cluster, List<ServerJvm> clients, Set<Integer> clusterPorts, int[] sockets) {
    Target t = cluster.target();
    LoadClient.sleep(SETTLE_MS);
    List<ServerJvm> gws = t.gateways();
    long[] heap = new long[gws.size()];
    long[] rss = new long[gws.size()];
    int[] fds = new int[gws.size()];
    for (int i = 0; i < gws.size(); i++) {
      heap[i] = gws.get(i).heapAfterGc();
      rss[i] = gws.get(i).stats().rssBytes();
      fds[i] = openFiles(gws.get(i).pid());
    }
    long sockstat = sockstatMemPages();
    long slab = socketSlabBytes();
    LoadClient.sleep(1_000); // the full GCs' CPU stays out of the window
    ProcStats[] before = t.servers().stream().map(ServerJvm::stats).toArray(ProcStats[]::new);
    ClusterTraffic.Sample b = ClusterTraffic.sample(clusterPorts, Fleet.HOST);
    LoadClient.sleep(options.restS * 1000L);
    ClusterTraffic.Sample a = ClusterTraffic.sample(clusterPorts, Fleet.HOST);
    ProcStats[] after = t.servers().stream().map(ServerJvm::stats).toArray(ProcStats[]::new);
    ClusterTraffic.Delta bus = ClusterTraffic.between(b, a);
    ClusterTraffic.Delta hazelcast = ClusterTraffic.between(b, a, cluster::isHazelcastPort);
    ClusterTraffic.Delta eventBus = ClusterTraffic.between(b, a, port -> clusterPorts.contains(port) && !cluster.isHazelcastPort(port));
    double[] cpu = new double[before.length];
    JsonObject cpuJson = new JsonObject();
    for (int i = 0; i < before.length; i++) {
      cpu[i] = (after[i].workNanos() - before[i].workNanos()) / 1e6 / (bus.nanos() / 1e9);
      cpuJson.put(t.servers().get(i).name, round(cpu[i], 2));
    }
    checkAlive(clients, sockets);
    int total = java.util.Arrays.stream(sockets).sum();
    say("%d sockets: heap %s MB, RSS %s MB, fds %s; at rest %d s: bus %.0f B/s, %.1f segments/s over %d connections; CPU ms/s %s",
      total, mb(heap), mb(rss), java.util.Arrays.toString(fds), options.restS, bus.bytesPerSecond(), bus.segmentsPerSecond(),
      bus.connections(), cpuJson.encode());
    JsonObject json = new JsonObject().put("socketsPerGateway", ints(sockets)).put("sockets", total)
      .put("gatewayHeapAfterGc", longs(heap)).put("gatewayRss", longs(rss)).put("gatewayOpenFiles", ints(fds))
      .put("restSeconds", round(bus.nanos() / 1e9, 2))
      .put("bus", new JsonObject().put("connections", bus.connections()).put("bytes", bus.bytes()).put("segments", bus.segments())
        .put("dataSegments", bus.dataSegments()).put("bytesPerSecond", round(bus.bytesPerSecond(), 1))
        .put("segmentsPerSecond", round(bus.segmentsPerSecond(), 2))
        .put("hazelcast", traffic(hazelcast)).put("eventBus", traffic(eventBus)))
      .put("cpuMsPerSecondByJvm", cpuJson).put("tcpSockstatMemPages", sockstat).put("socketSlabBytes", slab);
    return new Level(sockets, heap, rss, fds, cpu, bus, sockstat, slab, json);
  }

  /** The figures, and the arithmetic for a million sockets. */
  private void report(Target t, Set<Integer> clusterPorts, List<Level> levels) {
    Level zero = levels.get(0);
    Level full = levels.get(levels.size() - 1);
    int perGateway = java.util.Arrays.stream(full.sockets()).min().orElse(0);
    double heapKb = 0;
    double rssKb = 0;
    double cpuPerK = 0;
    for (int i = 0; i < GATEWAYS; i++) {
      heapKb += (full.heap()[i] - zero.heap()[i]) / 1024.0 / full.sockets()[i] / GATEWAYS;
      rssKb += (full.rss()[i] - zero.rss()[i]) / 1024.0 / full.sockets()[i] / GATEWAYS;
      cpuPerK += (full.cpuMsPerS()[i] - zero.cpuMsPerS()[i]) / (full.sockets()[i] / 1000.0) / GATEWAYS;
    }
    double gatewayCpuZero = 0;
    double gatewayCpuFull = 0;
    for (int i = 0; i < GATEWAYS; i++) {
      gatewayCpuZero += zero.cpuMsPerS()[i] / GATEWAYS;
      gatewayCpuFull += full.cpuMsPerS()[i] / GATEWAYS;
    }
    double busZero = zero.bus().bytesPerSecond();
    double busFull = full.bus().bytesPerSecond();
    double busPerK = (busFull - busZero) / (full.total() / 1000.0);
    int members = t.servers().size();
    double busPerPair = busZero / (members * (members - 1) / 2.0);
    double kernelSlabKb = slabObjectBytes() / 1024.0;
    double sockstatKb = (full.sockstatMemPages() - zero.sockstatMemPages()) * PAGE / 1024.0 / full.total();
    // both ends of every WebSocket are on this host: the client's and the gateway's
    double slabGrowthKb = zero.slabBytes() < 0 ? -1 : (full.slabBytes() - zero.slabBytes()) / 1024.0 / (2.0 * full.total());
    String size = GATEWAYS + " × " + perGateway;
    String o = Target.SWITCHBOARD;
    figures.add(Figure.of(name(), "idle sockets held per gateway JVM (" + GATEWAYS + " gateway JVMs, a load-client process each)", "sockets").value(o, perGateway));
    figures.add(Figure.of(name(), "gateway heap after GC per idle socket, " + size, "KB").value(o, round(heapKb, 2)));
    figures.add(Figure.of(name(), "gateway RSS growth per idle socket, " + size, "KB").value(o, round(rssKb, 2)));
    figures.add(Figure.of(name(), "cluster bus traffic at rest, 0 sockets (" + members + " JVMs)", "B/s").value(o, round(busZero, 0))
      .note("bytes sent on the cluster's own TCP connections (Hazelcast, clustered event bus), not the WebSockets; "
        + round(zero.bus().segmentsPerSecond(), 1) + " segments/s"));
    figures.add(Figure.of(name(), "cluster bus traffic at rest, " + size + " sockets", "B/s").value(o, round(busFull, 0))
      .note(round(full.bus().segmentsPerSecond(), 1) + " segments/s"));
    figures.add(Figure.of(name(), "cluster bus traffic at rest per 1 000 sockets (growth from 0 sockets)", "B/s").value(o, round(busPerK, 1)));
    figures.add(Figure.of(name(), "gateway CPU at rest per gateway JVM, " + perGateway + " sockets", "ms/s").value(o, round(gatewayCpuFull, 2))
      .note(round(gatewayCpuZero, 2) + " ms/s at 0 sockets"));
    figures.add(Figure.of(name(), "gateway CPU at rest per 1 000 sockets (growth from 0 sockets)", "ms/s").value(o, round(cpuPerK, 3)));
    figures.add(Figure.of(name(), "kernel memory per TCP socket end (slab objects, outside RSS)", "KB").value(o, round(kernelSlabKb, 2))
      .note("sum of one object of " + String.join(", ", SOCKET_SLABS) + " in /proc/slabinfo; TCP buffers at rest, /proc/net/sockstat mem: "
        + round(sockstatKb, 3) + " KB per connection (both ends); the same caches grew by " + round(slabGrowthKb, 2)
        + " KB per socket end (kernel-wide, other processes' sockets included)"));
    JsonObject onPaper = onPaper(perGateway, heapKb, rssKb, busZero, busPerK, busPerPair, cpuPerK, gatewayCpuZero, kernelSlabKb);
    figures.add(Figure.of(name(), "gateway JVMs for 1 M sockets at " + perGateway + " per JVM", "JVMs")
      .value(o, onPaper.getJsonObject("atThisLimit").getInteger("gatewayJvms")));
    JsonArray levelsJson = new JsonArray();
    levels.forEach(l -> levelsJson.add(l.json()));
    raw.put("gatewayPorts", new JsonArray(t.ports())).put("clusterPorts", new JsonArray(new ArrayList<>(clusterPorts)))
      .put("members", members).put("levels", levelsJson).put("onPaper", onPaper);
  }

  /**
   * 1 M sockets on gateway JVMs of this run's size, and of {@link #PRODUCTION_SOCKETS_PER_JVM}:
   * heap and RSS grow with the sockets; the bus at rest grows with the cluster's members (every
   * member beats every other: per member pair, measured at 0 sockets), plus what the sockets add.
   */
  private JsonObject onPaper(int perGateway, double heapKb, double rssKb, double busZero, double busPerK, double busPerPair,
                             double cpuPerK, double gatewayCpuZero, double kernelSlabKb) {
    JsonObject paper = new JsonObject().put("sockets", MILLION).put("busBytesPerSecondPerMemberPair", round(busPerPair, 1))
      .put("measuredBusBytesPerSecondAtZero", round(busZero, 1));
    for (int perJvm : new int[] {perGateway, PRODUCTION_SOCKETS_PER_JVM}) {
      long jvms = (MILLION + perJvm - 1) / perJvm;
      long members = jvms + 1; // + one services JVM
      double pairs = members * (members - 1) / 2.0;
      paper.put(perJvm == perGateway ? "atThisLimit" : "atProductionLimit", new JsonObject()
        .put("socketsPerJvm", perJvm).put("gatewayJvms", jvms)
        .put("heapGbForSockets", round(MILLION * heapKb / 1048576.0, 2))
        .put("rssGbForSockets", round(MILLION * rssKb / 1048576.0, 2))
        .put("kernelGbForSockets", round(MILLION * kernelSlabKb / 1048576.0, 2))
        .put("busBytesPerSecondAtRest", round(pairs * busPerPair + Math.max(0, busPerK) * 1000, 0))
        .put("gatewayCpuCoresAtRest", round((jvms * gatewayCpuZero + cpuPerK * 1000) / 1000, 2)));
    }
    return paper;
  }

  private static JsonObject traffic(ClusterTraffic.Delta d) {
    return new JsonObject().put("connections", d.connections()).put("bytesPerSecond", round(d.bytesPerSecond(), 1))
      .put("segmentsPerSecond", round(d.segmentsPerSecond(), 2));
  }

  private static int openFiles(long pid) {
    String[] fds = new java.io.File("/proc/" + pid + "/fd").list();
    return fds == null ? -1 : fds.length;
  }

  /** TCP's buffer memory in pages ({@code mem} of {@code /proc/net/sockstat}): kernel-wide, outside every RSS. */
  private static long sockstatMemPages() {
    try {
      Matcher m = SOCKSTAT_MEM.matcher(Files.readString(Path.of("/proc/net/sockstat")));
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** The bytes of {@link #SOCKET_SLABS} in use now (kernel-wide; -1 when /proc/slabinfo is not readable). */
  private static long socketSlabBytes() {
    List<long[]> slabs = slabs();
    long sum = 0;
    for (long[] s : slabs) {
      sum += s[0] * s[1];
    }
    return slabs.isEmpty() ? -1 : sum;
  }

  /** One object of each of {@link #SOCKET_SLABS}: what the kernel holds per socket end besides its buffers (0 when not readable). */
  private static long slabObjectBytes() {
    long sum = 0;
    for (long[] s : slabs()) {
      sum += s[1];
    }
    return sum;
  }

  /** Active objects and object size of each of {@link #SOCKET_SLABS}. */
  private static List<long[]> slabs() {
    List<long[]> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/slabinfo"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && SOCKET_SLABS.contains(f[0])) {
          out.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[3])});
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    return out;
  }

  private static String mb(long[] bytes) {
    return java.util.Arrays.stream(bytes).mapToObj(b -> String.format("%.1f", b / 1048576.0)).collect(Collectors.joining("/"));
  }

  private static JsonArray ints(int[] v) {
    JsonArray a = new JsonArray();
    for (int x : v) {
      a.add(x);
    }
    return a;
  }

  private static JsonArray longs(long[] v) {
    JsonArray a = new JsonArray();
    for (long x : v) {
      a.add(x);
    }
    return a;
  }
}
