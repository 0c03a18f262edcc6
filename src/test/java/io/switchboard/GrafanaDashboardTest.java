package io.switchboard;

import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code conf/grafana/switchboard.json} (README, "Monitoring"): a dashboard Grafana imports as is,
 * whose every query names a series a real gateway JVM (started by the launcher, as in
 * production) exports on {@code /metrics}.
 */
@DisplayName("The Grafana dashboard")
@Timeout(300)
class GrafanaDashboardTest {

  private static final Path DASHBOARD = Path.of("conf", "grafana", "switchboard.json");
  private static final String DATASOURCE = "${datasource}";

  private static final TestCluster cluster = new TestCluster();
  private static int port;
  private static JvmProcess gateway;
  private static JvmProcess services;

  @BeforeAll
  static void start() {
    port = TestCluster.freePort();
    gateway = JvmProcess.launch("grafana-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Succeeded in deploying verticle", 90_000);
    services = JvmProcess.launch("grafana-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 90_000);
  }

  @AfterAll
  static void stop() {
    for (JvmProcess p : new JvmProcess[]{services, gateway}) {
      if (p != null) {
        p.close();
      }
    }
  }

  @Test
  @DisplayName("imports as is: the Prometheus data source is a variable every panel and query uses")
  void importsAsIs() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    assertEquals("Switchboard", dashboard.getString("title"));
    assertTrue(dashboard.getInteger("schemaVersion") >= 30, "a current dashboard schema");
    assertTrue(dashboard.getJsonArray("__inputs", new JsonArray()).isEmpty(), "nothing to map on import");
    JsonObject datasource = variables(dashboard).get("datasource");
    assertEquals("datasource", datasource.getString("type"));
    assertEquals("prometheus", datasource.getString("query"));
    assertTrue(variables(dashboard).keySet().containsAll(Set.of("instance", "service")), variables(dashboard).keySet().toString());

    Set<Integer> ids = new HashSet<>();
    int queries = 0;
    for (Object o : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) o;
      assertTrue(ids.add(panel.getInteger("id")), "panel ids are unique: " + panel.getInteger("id"));
      JsonObject grid = panel.getJsonObject("gridPos");
      assertTrue(grid.getInteger("x") + grid.getInteger("w") <= 24, panel.getString("title") + " fits the 24-column grid");
      if (panel.getString("type").equals("row")) {
        continue;
      }
      assertEquals(DATASOURCE, panel.getJsonObject("datasource").getString("uid"), panel.getString("title"));
      assertFalse(panel.getJsonArray("targets").isEmpty(), panel.getString("title") + " has a query");
      for (Object t : panel.getJsonArray("targets")) {
        assertEquals(DATASOURCE, ((JsonObject) t).getJsonObject("datasource").getString("uid"), panel.getString("title"));
        queries++;
      }
    }
    assertTrue(queries >= 10, "the dashboard has its queries: " + queries);
  }

  @Test
  @DisplayName("queries only series a running gateway exports on /metrics")
  void queriesExportedSeries() throws Exception {
    // traffic that makes every series exist: echo messages, a normal close, and an open the bus
    // cannot deliver (py_chat is routed but not running: close 1013)
    HttpClient client = HttpClient.newHttpClient();
    CompletableFuture<String> echoed = new CompletableFuture<>();
    WebSocket echo = client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/echo"),
      new WebSocket.Listener() {
        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
          echoed.complete(data.toString());
          return null;
        }
      }).get(30, TimeUnit.SECONDS);
    echo.sendText("hello", true);
    assertEquals("hello", echoed.get(30, TimeUnit.SECONDS));
    echo.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(30, TimeUnit.SECONDS);
    CompletableFuture<Integer> refused = new CompletableFuture<>();
    client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/py_chatroom"), new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        refused.complete(code);
        return null;
      }
    }).get(30, TimeUnit.SECONDS);
    assertEquals(1013, refused.get(30, TimeUnit.SECONDS));

    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\b((?:switchboard|vertx)_[a-z_]+)\\b").matcher(Files.readString(DASHBOARD));
    while (m.find()) {
      queried.add(m.group(1));
    }
    assertTrue(queried.contains("switchboard_sessions_open") && queried.contains("switchboard_closes_total"), queried.toString());
    Set<String> missing = new TreeSet<>(queried);
    long deadline = System.currentTimeMillis() + 30_000;
    while (!missing.isEmpty() && System.currentTimeMillis() < deadline) {
      String scrape = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
      missing.removeIf(name -> Pattern.compile("(?m)^" + name + "[{ ]").matcher(scrape).find());
      if (!missing.isEmpty()) {
        Thread.sleep(200); // the close and the refusal are counted as they finish
      }
    }
    assertTrue(missing.isEmpty(), "the dashboard queries series /metrics does not have: " + missing);
  }

  private static Map<String, JsonObject> variables(JsonObject dashboard) {
    Map<String, JsonObject> byName = new java.util.HashMap<>();
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      byName.put(((JsonObject) v).getString("name"), (JsonObject) v);
    }
    return byName;
  }
}
