package io.switchboard;

import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A measurement, not a test: the WebSocket echo round trip through the Python echo service (over
 * the TCP bridge) against the Java EchoService, in the same run, on the same gateway, alternating
 * one round trip each so both see the same machine load. Run it on purpose:
 *
 * <pre>SWITCHBOARD_MEASURE=1 mvn -B test -Dtest=PythonEchoRoundTrip [-Dswitchboard.roundTrips=5000]</pre>
 *
 * It prints median, p90, p99 and mean for both and their ratio, and writes them to
 * {@code target/python-echo-roundtrip.txt}. Every echo is checked, nothing is timed against a limit.
 */
@DisplayName("Echo round trip, Python service vs Java service (measurement)")
@EnabledIfEnvironmentVariable(named = "SWITCHBOARD_MEASURE", matches = "1|true|yes")
class PythonEchoRoundTrip {

  @Test
  @DisplayName("measures both paths in one run and prints the figures")
  void measure() throws Exception {
    int rounds = Integer.getInteger("switchboard.roundTrips", 5000);
    int warmup = Math.max(500, rounds / 5);
    TestCluster cluster = new TestCluster();
    int port = TestCluster.freePort();
    int bridgePort = TestCluster.freePort();
    Path conf = Files.createTempFile(Path.of("target"), "gateway-py-echo-", ".json");
    JsonObject gatewayConf = new JsonObject(Files.readString(Path.of("conf", "gateway.json")));
    gatewayConf.getJsonObject("routes").put("/py_echo", "py_echo");
    Files.writeString(conf, gatewayConf.encodePrettily());
    Vertx vertx = Vertx.vertx();
    try (JvmProcess gateway = JvmProcess.launch("measure-gateway", cluster.jvmArgs(),
           Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
           "run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf.toString(), "-cluster");
         JvmProcess services = startServices(gateway, cluster, bridgePort);
         JvmProcess python = JvmProcess.start("measure-py-echo",
           List.of(PythonServiceTest.PYTHON, "-u", "src/main/python/examples/echo.py"),
           Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)))) {
      python.await("service py_echo ready", 30_000);
      try (WsClient java = awaitEcho(vertx, port, "/echo"); WsClient py = awaitEcho(vertx, port, "/py_echo")) {
        long[] javaNs = new long[rounds];
        long[] pyNs = new long[rounds];
        for (int i = -warmup; i < rounds; i++) {
          long j = roundTrip(java, "j" + i);
          long p = roundTrip(py, "p" + i);
          if (i >= 0) {
            javaNs[i] = j;
            pyNs[i] = p;
          }
        }
        String report = String.format("echo round trip over %d alternating round trips (after %d warm-up), same run:%n"
            + "  Java EchoService   %s%n  Python echo.py     %s%n  ratio Python/Java  median %.2fx, p99 %.2fx%n",
          rounds, warmup, stats(javaNs), stats(pyNs),
          (double) percentile(pyNs, 50) / percentile(javaNs, 50), (double) percentile(pyNs, 99) / percentile(javaNs, 99));
        System.out.print(report);
        Files.writeString(Path.of("target", "python-echo-roundtrip.txt"), report);
      }
    } finally {
      vertx.close();
    }
  }

  private static JvmProcess startServices(JvmProcess gateway, TestCluster cluster, int bridgePort) {
    gateway.await("Succeeded in deploying verticle", 60_000);
    JvmProcess services = JvmProcess.launch("measure-services", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 60_000);
    return services;
  }

  private static WsClient awaitEcho(Vertx vertx, int port, String path) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      WsClient c = WsClient.connect(vertx, port, path);
      try {
        c.send("ready?");
        assertEquals("ready?", c.next());
        return c;
      } catch (AssertionError e) {
        c.close();
        if (System.currentTimeMillis() > deadline) {
          throw e;
        }
      }
    }
  }

  private static long roundTrip(WsClient c, String text) {
    long t0 = System.nanoTime();
    c.send(text);
    Object got = c.next();
    long ns = System.nanoTime() - t0;
    assertEquals(text, got);
    return ns;
  }

  private static String stats(long[] ns) {
    return String.format("median %7.1f us  p90 %7.1f us  p99 %7.1f us  mean %7.1f us",
      percentile(ns, 50) / 1e3, percentile(ns, 90) / 1e3, percentile(ns, 99) / 1e3,
      Arrays.stream(ns).average().orElse(0) / 1e3);
  }

  private static long percentile(long[] ns, int p) {
    long[] sorted = ns.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
