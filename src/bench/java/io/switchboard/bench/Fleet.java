package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The server JVMs of one bench run, started on first use and kept for the whole run (so that
 * every scenario compares targets that lived through the same machine load), stopped at the end.
 * Clustered targets each get a private cluster. Every server listens on 127.0.0.1 only.
 *
 * <ul>
 *   <li><b>switchboard</b>: gateway JVM(s) + a services JVM (echo, room), clustered;</li>
 *   <li><b>bare</b>: {@link BareEchoVerticle}, one JVM;</li>
 *   <li><b>netty</b>: {@link NettyEchoVerticle}, a plain Netty echo pipeline on Vert.x's event loops, one JVM started like bare (echo only);</li>
 *   <li><b>naive</b>: {@link NaiveGatewayVerticle} + {@link NaiveEchoConsumer}, two clustered JVMs;</li>
 *   <li><b>local</b>: the gateway with the echo and room services in its own JVM (local event bus);</li>
 *   <li><b>node</b>: {@code src/bench/node/server.js} on the {@code ws} package, one Node.js process
 *       ({@link NodeBaseline}); skipped, with the reason in {@link #skipped()}, when node or ws is unavailable.</li>
 * </ul>
 */
final class Fleet implements AutoCloseable {

  static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  static final String HOST = "127.0.0.1";
  static final String GATEWAY = "io.switchboard.gateway.GatewayVerticle";
  static final String SERVICE_HOST = "io.switchboard.host.ServiceHost";
  static final String ECHO_SERVICE = "io.switchboard.demo.EchoService";

  private final JvmCommand jvm;
  private final Path dir;
  private final boolean jfr;
  private final Consumer<String> progress;
  private final LoadClient probe;
  private final Map<String, Target> targets = new LinkedHashMap<>();
  /** Targets that could not run here (node without node or ws): name → why. */
  private final Map<String, String> skipped = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<ServerJvm> started = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile BenchCluster switchboardCluster;

  Fleet(JvmCommand jvm, Path dir, boolean jfr, LoadClient probe, Consumer<String> progress) {
    this.jvm = jvm;
    this.dir = dir;
    this.jfr = jfr;
    this.probe = probe;
    this.progress = progress;
  }

  /**
   * Starts these targets side by side (each on its own cluster, so their JVMs never merge), and
   * returns when all are up: start-up CPU is spent before any measurement.
   */
  void startAll(List<String> names) {
    List<java.util.concurrent.CompletableFuture<Target>> starts = new ArrayList<>();
    for (String name : names) {
      if (name.equals(Target.NODE)) {
        starts.add(java.util.concurrent.CompletableFuture.supplyAsync(this::nodeOrSkip));
      } else {
        starts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> target(name)));
      }
    }
    try {
      java.util.concurrent.CompletableFuture.allOf(starts.toArray(new java.util.concurrent.CompletableFuture[0])).join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** The node target, or null with the reason kept in {@link #skipped()}: never fails the run. */
  private Target nodeOrSkip() {
    try {
      return target(Target.NODE);
    } catch (RuntimeException e) {
      skipped.put(Target.NODE, String.valueOf(e.getMessage()).lines().findFirst().orElse("failed to start"));
      progress.accept("  node is skipped: " + skipped.get(Target.NODE));
      return null;
    }
  }

  /** Of these targets, the ones that run here (not {@linkplain #skipped() skipped}), in order. */
  List<String> running(List<String> names) {
    return names.stream().filter(n -> !skipped.containsKey(n)).toList();
  }

  /** Targets skipped in this run, with the reason. */
  Map<String, String> skipped() {
    return new java.util.TreeMap<>(skipped);
  }

  /** Starts (once) and returns a target by name. */
  Target target(String name) {
    Target t;
    synchronized (targets) {
      t = targets.get(name);
    }
    if (t == null) {
      long t0 = System.nanoTime();
      t = switch (name) {
        case Target.SWITCHBOARD -> switchboard();
        case Target.BARE -> bare();
        case Target.NETTY -> netty();
        case Target.NAIVE -> naive();
        case Target.LOCAL -> local();
        case Target.NODE -> node();
        default -> throw new IllegalArgumentException(name);
      };
      synchronized (targets) {
        targets.put(name, t);
      }
      progress.accept(String.format("  %s is up (%d process(es), %.1f s)", name, t.servers().size(), (System.nanoTime() - t0) / 1e9));
    }
    return t;
  }

  /** Where this run's files go. */
  Path dir() {
    return dir;
  }

  /** Ours with a second gateway JVM on the same cluster (for the big room). */
  synchronized Target switchboardTwoGateways() {
    Target one = target(Target.SWITCHBOARD);
    Target two;
    synchronized (targets) {
      two = targets.get("switchboard-2gw");
    }
    if (two == null) {
      int port = BenchCluster.freePort();
      ServerJvm gw = start("switchboard-gateway-b", switchboardCluster.config(),
        List.of("run", GATEWAY, "-conf", write("gateway-b.json", gatewayConfig(port)).toString(), "-cluster"),
        "Gateway node .* ready");
      awaitRoutable(port, BenchPaths.ECHO);
      List<ServerJvm> servers = new ArrayList<>(one.servers());
      servers.add(gw);
      two = new Target(Target.SWITCHBOARD, List.of(one.port(), port), List.of(one.gateways().get(0), gw), servers);
      synchronized (targets) {
        targets.put("switchboard-2gw", two);
      }
    }
    return two;
  }

  /** Starts one more service JVM on our cluster: EchoService named {@code late}. */
  ServerJvm startLateService() {
    target(Target.SWITCHBOARD);
    Path conf = write("late.json", new JsonObject().put("name", "late"));
    ServerJvm late = ServerJvm.start(jvm, dir.resolve("logs"), "switchboard-late-service", switchboardCluster.config(), javaOpts("late"),
      List.of("run", ECHO_SERVICE, "-conf", conf.toString(), "-cluster"));
    started.add(late);
    return late;
  }

  /**
   * Starts one more service JVM on our cluster (the presence and burst scenarios): a service host
   * with these services; returns once it printed {@code readyLine}. Stopped with the fleet.
   */
  ServerJvm startServiceJvm(String name, JsonObject servicesConfig, String readyLine) {
    target(Target.SWITCHBOARD);
    Path conf = write(name + ".json", servicesConfig);
    return start(name, switchboardCluster.config(), List.of("run", SERVICE_HOST, "-conf", conf.toString(), "-cluster"), readyLine);
  }

  /**
   * The scale scenario's own cluster (its bus traffic is measured alone): {@code gateways}
   * gateway JVMs and one services JVM (echo), on a private cluster of their own; not one of the
   * report's targets, stopped with the fleet. The target's servers are the gateways, then the services JVM.
   */
  ScaleCluster scaleCluster(int gateways) {
    BenchCluster cluster = new BenchCluster(jvm.root(), dir, "scale");
    List<Integer> ports = new ArrayList<>();
    List<ServerJvm> gws = new ArrayList<>();
    for (int i = 1; i <= gateways; i++) { // side by side: each awaited below
      int port = BenchCluster.freePort();
      String name = "scale-gateway-" + i;
      progress.accept("  starting " + name + " ...");
      ServerJvm gw = ServerJvm.start(jvm, dir.resolve("logs"), name, cluster.config(), javaOpts(name),
        List.of("run", GATEWAY, "-conf", write(name + ".json", gatewayConfig(port)).toString(), "-cluster"));
      started.add(gw);
      gws.add(gw);
      ports.add(port);
    }
    for (ServerJvm gw : gws) {
      gw.await("Gateway node .* ready", START_TIMEOUT);
    }
    JsonObject echo = new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", ECHO_SERVICE).put("config", new JsonObject().put("name", "echo"))));
    ServerJvm services = start("scale-services", cluster.config(),
      List.of("run", SERVICE_HOST, "-conf", write("scale-services.json", echo).toString(), "-cluster"), "Service host deployed");
    for (int port : ports) {
      awaitRoutable(port, BenchPaths.ECHO);
    }
    List<ServerJvm> servers = new ArrayList<>(gws);
    servers.add(services);
    return new ScaleCluster(new Target("scale", ports, gws, servers), cluster.basePort());
  }

  /** The scale scenario's JVMs, and the first of its Hazelcast member ports (the range is {@link BenchCluster#PORT_RANGE} long). */
  record ScaleCluster(Target target, int hazelcastBasePort) {

    boolean isHazelcastPort(int port) {
      return port >= hazelcastBasePort && port < hazelcastBasePort + BenchCluster.PORT_RANGE;
    }
  }

  /**
   * Starts a {@link ScaleClient} process (a plain JVM on the bench's classpath) for one gateway
   * port; returns once it is ready for commands. Stopped with the fleet.
   */
  ServerJvm startScaleClient(String name, int port, String path) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xms64m", "-Xmx" + ScaleScenario.CLIENT_HEAP, "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
      "-Djava.util.logging.config.file=" + jvm.root().resolve("conf/logging.properties"),
      "-cp", JvmCommand.ownClasspath(), ScaleClient.class.getName(), Integer.toString(port), path));
    progress.accept("  starting " + name + " ...");
    ServerJvm client = ServerJvm.startProcess(name, command, Map.of(), jvm.root(), dir.resolve("logs"));
    started.add(client);
    client.await(ScaleClient.READY, START_TIMEOUT);
    return client;
  }

  private Target switchboard() {
    switchboardCluster = new BenchCluster(jvm.root(), dir, "switchboard");
    int port = BenchCluster.freePort();
    ServerJvm gw = start("switchboard-gateway", switchboardCluster.config(),
      List.of("run", GATEWAY, "-conf", write("gateway.json", gatewayConfig(port)).toString(), "-cluster"),
      "Gateway node .* ready");
    ServerJvm services = start("switchboard-services", switchboardCluster.config(),
      List.of("run", SERVICE_HOST, "-conf", write("services.json", servicesConfig(null)).toString(), "-cluster"),
      "Service host deployed");
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.SWITCHBOARD, List.of(port), List.of(gw), List.of(gw, services));
  }

  private Target bare() {
    int port = BenchCluster.freePort();
    ServerJvm bare = start("bare", null, List.of("run", BareEchoVerticle.class.getName(),
      "-conf", write("bare.json", new JsonObject().put("port", port)).toString()), "bench: bare ready");
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.BARE, List.of(port), List.of(bare), List.of(bare));
  }

  private Target netty() {
    int port = BenchCluster.freePort();
    ServerJvm netty = start("netty", null, List.of("run", NettyEchoVerticle.class.getName(),
      "-conf", write("netty.json", new JsonObject().put("port", port)).toString()), "bench: netty ready");
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.NETTY, List.of(port), List.of(netty), List.of(netty));
  }

  private Target naive() {
    BenchCluster cluster = new BenchCluster(jvm.root(), dir, "naive");
    ServerJvm consumer = start("naive-consumer", cluster.config(),
      List.of("run", NaiveEchoConsumer.class.getName(), "-cluster"), "bench: naive echo consumer ready");
    int port = BenchCluster.freePort();
    ServerJvm gw = start("naive-gateway", cluster.config(), List.of("run", NaiveGatewayVerticle.class.getName(),
      "-conf", write("naive.json", new JsonObject().put("port", port)).toString(), "-cluster"), "bench: naive gateway ready");
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.NAIVE, List.of(port), List.of(gw), List.of(gw, consumer));
  }

  private Target local() {
    int port = BenchCluster.freePort();
    ServerJvm local = start("local", null, List.of("run", SERVICE_HOST,
      "-conf", write("local.json", servicesConfig(gatewayConfig(port))).toString()), "Service host deployed");
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.LOCAL, List.of(port), List.of(local), List.of(local));
  }

  private Target node() {
    String why = skipped.get(Target.NODE);
    if (why != null) {
      throw new IllegalStateException("node is skipped: " + why);
    }
    NodeBaseline.Availability node = NodeBaseline.detect(jvm.root(), dir.resolve("logs"));
    if (!node.available()) {
      throw new IllegalStateException(node.skipReason());
    }
    int port = BenchCluster.freePort();
    List<String> command = new ArrayList<>(node.command());
    command.add(Integer.toString(port));
    command.add(HOST);
    progress.accept("  starting node ...");
    ServerJvm n = ServerJvm.startProcess("node", command, node.env(), jvm.root(), dir.resolve("logs"));
    started.add(n);
    n.await("bench: node ready", START_TIMEOUT);
    awaitRoutable(port, BenchPaths.ECHO);
    return new Target(Target.NODE, List.of(port), List.of(n), List.of(n));
  }

  private ServerJvm start(String name, Path cluster, List<String> args, String readyLine) {
    progress.accept("  starting " + name + " ...");
    ServerJvm s = ServerJvm.start(jvm, dir.resolve("logs"), name, cluster, javaOpts(name), args);
    started.add(s);
    s.await(readyLine, START_TIMEOUT);
    return s;
  }

  /** Extra JVM flags of a server: a JFR recording (profile settings) with {@code --jfr}. */
  private String javaOpts(String name) {
    if (!jfr) {
      return null;
    }
    Path file = dir.resolve("jfr").resolve(name + ".jfr").toAbsolutePath();
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "-XX:StartFlightRecording=filename=" + file + ",settings=profile,dumponexit=true";
  }

  private void awaitRoutable(int port, String path) {
    probe.awaitEcho(port, path, START_TIMEOUT);
  }

  private static JsonObject gatewayConfig(int port) {
    return new JsonObject().put("host", HOST).put("port", port)
      .put("routes", new JsonObject().put(BenchPaths.ECHO, "echo").put(BenchPaths.ROOM, "room").put(BenchPaths.LATE, "late"));
  }

  /** The services JVM's config: echo and room, plus the gateway itself for {@code local}. */
  private static JsonObject servicesConfig(JsonObject gateway) {
    JsonArray services = new JsonArray();
    if (gateway != null) {
      services.add(new JsonObject().put("verticle", GATEWAY).put("config", gateway));
    }
    services.add(new JsonObject().put("verticle", ECHO_SERVICE).put("config", new JsonObject().put("name", "echo")));
    services.add(new JsonObject().put("verticle", RoomService.class.getName()).put("config", new JsonObject().put("name", "room")));
    return new JsonObject().put("services", services);
  }

  private Path write(String file, JsonObject json) {
    try {
      Path p = dir.resolve("conf").resolve(file);
      Files.createDirectories(p.getParent());
      Files.writeString(p, json.encodePrettily());
      return p.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    List<ServerJvm> all;
    synchronized (started) {
      all = new ArrayList<>(started);
    }
    all.parallelStream().forEach(ServerJvm::close);
  }
}
