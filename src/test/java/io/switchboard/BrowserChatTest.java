package io.switchboard;

import io.switchboard.testing.ChatPage;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.Map;

/**
 * Real headless Chromium against a gateway JVM and a services JVM on a private Hazelcast cluster:
 * one browser on the bridge page {@code /bridge.html} (SockJS event-bus bridge), one on the
 * WebSocket page {@code /}, in the same rooms.
 */
@DisplayName("Two Chromium browsers, one over the event-bus bridge and one over a WebSocket")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserChatTest {

  private static final TestCluster cluster = new TestCluster();
  private static int port;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static ChatPage bea;
  private static ChatPage will;

  @BeforeAll
  static void start() {
    port = TestCluster.freePort();
    gateway = launchGateway("browser-chat-gateway");
    services = JvmProcess.launch("browser-chat-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 90_000);
    bea = ChatPage.open("bea (bridge page)", "http://127.0.0.1:" + port + "/bridge.html");
    will = ChatPage.open("will (WebSocket page)", "http://127.0.0.1:" + port + "/");
    bea.awaitStatus("connected", ChatPage.WAIT);
    will.awaitStatus("connected", ChatPage.WAIT);
    bea.setName("bea");
    will.setName("will");
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[]{bea, will, services, gateway}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // keep closing the others
      }
    }
  }

  @Test
  @Order(1)
  @DisplayName("chat with each other in one room: joins, counts and messages both ways")
  void chatInOneRoom() {
    will.createRoom("lobby");
    bea.joinRoom("lobby");
    will.awaitNotice("bea joined the room");
    will.awaitCount("lobby", 2);
    bea.awaitCount("lobby", 2);

    bea.say("hi will, from the bridge");
    will.awaitMessage("bea", "hi will, from the bridge");
    bea.awaitMessage("bea", "hi will, from the bridge");

    will.say("hi bea, from a WebSocket");
    bea.awaitMessage("will", "hi bea, from a WebSocket");
    will.awaitMessage("will", "hi bea, from a WebSocket");

    bea.screenshot("browser-chat-bridge-page.png");
    will.screenshot("browser-chat-websocket-page.png");
  }

  @Test
  @Order(2)
  @DisplayName("the bridge page survives a gateway restart: it reconnects, re-registers and chats on")
  void bridgePageSurvivesGatewayRestart() {
    will.createRoom("after-restart");
    bea.joinRoom("after-restart");
    will.awaitNotice("bea joined the room");
    // will steps out, so that only bea's membership is at stake in the restart
    will.joinRoom("lobby");
    bea.awaitNotice("will left the room");
    bea.awaitCount("after-restart", 1);

    gateway.close();
    bea.awaitStatus("disconnected", ChatPage.WAIT);
    gateway = launchGateway("browser-chat-gateway-restarted");

    // the bridge page comes back by itself, named and in its room
    bea.awaitStatus("connected as bea", Duration.ofSeconds(60));
    bea.awaitRoom("after-restart");
    // the WebSocket page (switchboard.js) resumes its session, named and back in lobby; will moves over
    will.awaitStatus("connected as will", Duration.ofSeconds(60));
    will.joinRoom("after-restart");
    // two members, not three: the stopping gateway told the service that bea's old socket was gone
    bea.awaitCount("after-restart", 2);
    will.awaitCount("after-restart", 2);

    will.say("still there, bea?");
    bea.awaitMessage("will", "still there, bea?");
    bea.say("still here, will");
    will.awaitMessage("bea", "still here, will");
    bea.screenshot("browser-chat-bridge-page-after-restart.png");
  }

  private static JvmProcess launchGateway(String name) {
    Map<String, String> env = Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1");
    JvmProcess p = JvmProcess.launch(name, cluster.jvmArgs(), env,
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster", "-instances", "2");
    p.await("Succeeded in deploying verticle", 90_000);
    return p;
  }
}
