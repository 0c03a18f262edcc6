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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin deploy of issue 10, item 10, against a gateway JVM and a service host JVM: only the
 * host's {@code allowedVerticles} are deployed (403 for anything else: the gateway, the TCP bridge,
 * a service host not listed, source files, factory prefixes, plain verticles), and no error
 * carries a file's content.
 */
@DisplayName("Admin deployments are limited to the service host's allowed verticles")
class AdminDeployPolicyTest {

  private static final String TOKEN = "policy-admin-token";
  private static final String SECRET = "s3cr3t-first-token";
  private static final TestCluster cluster = new TestCluster();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess host;
  private static int port;
  private static Path dir;

  @BeforeAll
  static void startCluster() throws IOException {
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    dir = Files.createDirectories(Path.of("target", "admin-policy-test"));
    Path gatewayConf = dir.resolve("gateway.json");
    Files.writeString(gatewayConf, new JsonObject().put("host", "127.0.0.1").put("port", port)
      .put("admin", new JsonObject().put("token", TOKEN)).encodePrettily());
    Files.writeString(dir.resolve("secret.txt"), SECRET + " and more secrets\n");
    gateway = JvmProcess.launch("policy-gateway", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", gatewayConf.toString(), "-cluster");
    gateway.await("Succeeded in deploying verticle", 60_000);
    // services, and nested service hosts (listed by their exact name), but nothing else
    host = JvmProcess.launch("policy-host", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", new JsonObject().put("services", new JsonArray())
        .put("allowedVerticles", new JsonArray().add("io.switchboard.service.ServiceVerticle")
          .add("io.switchboard.host.ServiceHost")).encode(), "-cluster");
    host.await("Service host deployed 0", 60_000);
    long deadline = System.currentTimeMillis() + 30_000;
    while (!admin("GET", "/admin/nodes", null).body().contains(host.pid() + "@")) {
      assertTrue(System.currentTimeMillis() < deadline, "the gateway never saw the service host");
    }
  }

  @AfterAll
  static void stopCluster() {
    for (JvmProcess p : new JvmProcess[]{host, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    vertx.close();
  }

  @Test
  @DisplayName("refuses a second gateway with allowedOrigins [\"*\"] and a TCP bridge on 0.0.0.0 with 403")
  void refusesListeners() {
    HttpResponse<String> gw = deploy("io.switchboard.gateway.GatewayVerticle", new JsonObject()
      .put("port", TestCluster.freePort()).put("allowedOrigins", new JsonArray().add("*")));
    assertEquals(403, gw.statusCode(), gw.body());
    assertTrue(gw.body().contains("allowedVerticles"), gw.body());
    HttpResponse<String> bridge = deploy("io.switchboard.bridge.TcpBridgeVerticle", new JsonObject()
      .put("host", "0.0.0.0").put("port", 0));
    assertEquals(403, bridge.statusCode(), bridge.body());
    assertFalse(host.printed(l -> l.contains("TCP bridge ready")), host.output());
  }

  @Test
  @DisplayName("refuses source files (compiled and run by Vert.x otherwise) and verticle factory prefixes with 403")
  void refusesSourcesAndPrefixes() throws IOException {
    Path marker = dir.resolve("evil-ran");
    Path source = dir.resolve("Evil.java");
    Files.writeString(source, "public class Evil extends io.vertx.core.VerticleBase {\n"
      + "  public io.vertx.core.Future<?> start() throws Exception {\n"
      + "    java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker + "\"), \"ran\");\n"
      + "    return super.start();\n  }\n}\n");
    for (String name : List.of(source.toString(), "Evil.java", "js:evil.js", "service:evil", "maven:com.example:evil:1.0",
      "groovy:Evil.groovy", "io.switchboard.demo.EchoService.java")) {
      HttpResponse<String> r = deploy(name, new JsonObject());
      assertEquals(403, r.statusCode(), name + ": " + r.body());
    }
    assertFalse(Files.exists(marker), "the source file was never compiled nor run");
  }

  @Test
  @DisplayName("refuses a verticle that is not a listed class nor extends one with 403, and an unknown class with 400")
  void refusesOtherVerticles() {
    HttpResponse<String> plain = deploy("io.switchboard.bench.BareEchoVerticle", new JsonObject());
    assertEquals(403, plain.statusCode(), plain.body());
    assertTrue(plain.body().contains("io.switchboard.bench.BareEchoVerticle may not be deployed here"), plain.body());
    HttpResponse<String> unknown = deploy("com.example.Nope", new JsonObject());
    assertEquals(400, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("no such verticle class"), unknown.body());
  }

  @Test
  @DisplayName("a listed service host pointed at a secret file answers 400 naming the file, never its content")
  void noFileContentInErrors() {
    HttpResponse<String> r = deploy("io.switchboard.host.ServiceHost", new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.demo.EchoService")
        .put("conf", dir.resolve("secret.txt").toString()))));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("secret.txt is not a JSON object (line 1, column"), r.body());
    assertFalse(r.body().contains("s3cr3t"), r.body());
    HttpResponse<String> missing = deploy("io.switchboard.host.ServiceHost", new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.demo.EchoService").put("conf", "/nonexistent/x.json"))));
    assertEquals(400, missing.statusCode(), missing.body());
    assertTrue(missing.body().contains("cannot read /nonexistent/x.json (NoSuchFileException)"), missing.body());
    assertFalse(host.printed(l -> l.contains("s3cr3t")), "nor does the host's log");
  }

  @Test
  @DisplayName("deploys an allowed service, which then serves, and undeploys it")
  void deploysAllowed() {
    HttpResponse<String> r = deploy("io.switchboard.demo.EchoService", new JsonObject().put("name", "policyecho")
      .put("paths", new JsonArray().add("/policy-echo")));
    assertEquals(201, r.statusCode(), r.body());
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (WsClient c = WsClient.connect(vertx, port, "/policy-echo")) {
        c.send("hello");
        assertEquals("hello", c.next());
        break;
      } catch (AssertionError notYet) {
        assertTrue(System.currentTimeMillis() < deadline, "the deployed echo never served: " + notYet);
      }
    }
    assertEquals(204, admin("DELETE", "/admin/deployments/" + new JsonObject(r.body()).getString("id"), null).statusCode());
  }

  private static HttpResponse<String> deploy(String verticle, JsonObject config) {
    return admin("POST", "/admin/deployments", new JsonObject().put("verticle", verticle).put("config", config).encode());
  }

  private static HttpResponse<String> admin(String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
      .header("Authorization", "Bearer " + TOKEN);
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
