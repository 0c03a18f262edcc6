package io.switchboard;

import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Event-bus TLS with client certificates (docs/security.md): JVMs started with a Vert.x options
 * file holding a certificate of the cluster's CA talk; a JVM that joins the Hazelcast cluster
 * without one is never reached by, and never reaches, the others. The CA and the certificate are
 * made at test time with {@code openssl}.
 */
@DisplayName("Event-bus TLS keeps JVMs without the cluster's certificate out")
class EventBusTlsTest {

  private static final TestCluster cluster = new TestCluster();
  private static final List<JvmProcess> jvms = new ArrayList<>();
  private static Vertx vertx;
  private static int port;
  private static Path options;

  @BeforeAll
  static void makeCertificates() throws IOException {
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    Path dir = Files.createDirectories(Path.of("target", "eventbus-tls-test")).toAbsolutePath();
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
      "-subj", "/CN=switchboard-test-ca");
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr",
      "-subj", "/CN=switchboard-node");
    openssl(dir, "x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", "node.crt", "-days", "1");
    // conf/eventbus-tls.sample.json with this test's files
    JsonObject sample = new JsonObject(Files.readString(Path.of("conf", "eventbus-tls.sample.json")));
    JsonObject bus = sample.getJsonObject("eventBusOptions");
    bus.getJsonObject("pemKeyCertOptions").put("certPath", dir.resolve("node.crt").toString())
      .put("keyPath", dir.resolve("node.key").toString());
    bus.getJsonObject("pemTrustOptions").put("certPaths", new JsonArray().add(dir.resolve("ca.crt").toString()));
    options = dir.resolve("options.json");
    Files.writeString(options, sample.encodePrettily());
  }

  @AfterAll
  static void stopAll() {
    jvms.forEach(JvmProcess::close);
    vertx.close();
  }

  @Test
  @DisplayName("a gateway and a service with the certificate talk; a service without it is never routed")
  void onlyCertificateHoldersTalk() {
    JvmProcess gateway = launch("tls-gateway", true, "io.switchboard.gateway.GatewayVerticle", "conf/gateway.json");
    gateway.await("Succeeded in deploying verticle", 60_000);
    launch("tls-echo", true, "io.switchboard.demo.EchoService", "conf/echo.json")
      .await("Succeeded in deploying verticle", 60_000);
    awaitEcho("/echo");

    // joins Hazelcast (which has no member authentication) but has no certificate for the event bus
    launch("tls-rogue", false, "io.switchboard.demo.EchoService", "{\"name\":\"rogue\",\"paths\":[\"/rogue\"]}")
      .await("Service rogue ready", 60_000);
    // started after the rogue, with the certificate: once it is routed, the rogue's announces had as long
    launch("tls-trusted", true, "io.switchboard.demo.EchoService", "{\"name\":\"trusted\",\"paths\":[\"/trusted\"]}")
      .await("Service trusted ready", 60_000);
    awaitEcho("/trusted");
    assertEquals(404, WsClient.rejectedStatus(vertx, port, "/rogue"), "the gateway never heard the rogue's announces");
    awaitEcho("/echo");
  }

  private static JvmProcess launch(String name, boolean tls, String verticle, String conf) {
    List<String> args = new ArrayList<>(List.of("run", verticle, "-conf", conf, "-cluster"));
    if (tls) {
      args.addAll(List.of("-options", options.toString()));
    }
    JvmProcess p = JvmProcess.launch(name, cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"), args.toArray(new String[0]));
    jvms.add(p);
    return p;
  }

  private static void awaitEcho(String path) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (WsClient c = WsClient.connect(vertx, port, path)) {
        c.send("over tls");
        assertEquals("over tls", c.next());
        return;
      } catch (AssertionError notYet) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError(path + " never echoed over the TLS event bus", notYet);
        }
      }
    }
  }

  private static void openssl(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertEquals(0, p.waitFor(), "openssl " + String.join(" ", args) + ": " + out);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("openssl is needed to make the test's certificates: " + e, e);
    }
  }
}
