package io.switchboard;

import io.switchboard.bench.ChatBurst;
import io.switchboard.testing.Await;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The join burst of issue 12 against real JVMs: one gateway JVM and two chat JVMs on a private
 * Hazelcast cluster; 1 000 clients on the seed's path {@code /demo_chatroom} each send
 * {@code name}, then all join one room at once (about 1.5 M deliveries), then ten of them post.
 * The figures it prints are for information; the bench measures them ({@code launcher/bench burst}).
 */
@DisplayName("The seed chat's 1 000-member join burst on a gateway JVM and two chat JVMs")
class ChatBurstTest {

  private static final String TOKEN = "burst-admin-token";
  private static final int MEMBERS = 1_000;
  private static final int SENDERS = 10;
  private static final int MESSAGES_EACH = 5;
  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess chat1;
  private static JvmProcess chat2;
  private static int port;

  @BeforeAll
  static void startCluster() throws IOException {
    vertx = Vertx.vertx();
    Path dir = Files.createDirectories(Path.of("target", "chat-burst-test"));
    port = TestCluster.freePort();
    Path gatewayConf = dir.resolve("gateway.json");
    Files.writeString(gatewayConf, new JsonObject().put("host", "127.0.0.1").put("port", port)
      .put("admin", new JsonObject().put("token", TOKEN)).encodePrettily());
    Path services = dir.resolve("services.json");
    Files.writeString(services, new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.demo.ChatService").put("conf", "conf/chat.json"))).encodePrettily());
    gateway = JvmProcess.launch("chat-burst-gateway", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", gatewayConf.toString(), "-cluster");
    chat1 = JvmProcess.launch("chat-burst-chat-1", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", services.toString(), "-cluster");
    chat2 = JvmProcess.launch("chat-burst-chat-2", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", services.toString(), "-cluster");
    gateway.await("Gateway node .* ready", 90_000);
    chat1.await("Service chat ready", 90_000);
    chat2.await("Service chat ready", 90_000);
    // both instances known to the gateway (its admin API)
    HttpClient http = HttpClient.newHttpClient();
    Await.until("the gateway knowing both chat instances", 60_000, () -> {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/services"))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      return new JsonArray(r.body()).stream().map(JsonObject.class::cast)
        .anyMatch(svc -> "chat".equals(svc.getString("name")) && svc.getJsonArray("instances").size() == 2);
    });
  }

  @AfterAll
  static void stopCluster() {
    for (JvmProcess p : new JvmProcess[]{chat1, chat2, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES) // connects 1 000 sockets and moves ~1.5 M frames on a shared machine
  @DisplayName("confirms all 1 000 joins, delivers every later message to every member, lists the room with 1 000, and declares no JVM lost")
  void joinBurst() {
    ChatBurst.Result r = ChatBurst.run(vertx, List.of(port), "/demo_chatroom", MEMBERS, SENDERS, MESSAGES_EACH, Duration.ofSeconds(90));
    System.out.printf("1 000-member join burst: %d of %d joins confirmed in %d ms; %d deliveries in %d ms (%.0f/s); %d of %d later deliveries%n",
      r.confirmed(), r.members(), r.joinMs(), r.deliveries(), r.deliveryMs(), r.deliveriesPerSecond(), r.messagesDelivered(), r.messagesExpected());
    assertEquals(MEMBERS, r.members(), "members connected");
    assertEquals(MEMBERS, r.confirmed(), "joins confirmed");
    assertEquals((long) SENDERS * MESSAGES_EACH * MEMBERS, r.messagesExpected());
    assertEquals(r.messagesExpected(), r.messagesDelivered(), "later messages delivered to every member");
    assertEquals(MEMBERS, r.listedCount(), "the room's count in a newcomer's listing");
    for (JvmProcess p : new JvmProcess[]{gateway, chat1, chat2}) {
      assertFalse(p.printed(line -> line.contains("Lost")), "a peer was declared lost:\n" + p.output());
    }
  }
}
