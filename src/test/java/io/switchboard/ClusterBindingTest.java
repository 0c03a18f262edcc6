package io.switchboard;

import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.ListeningSockets;
import io.switchboard.testing.ListeningSockets.Listener;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the shipped configs open to the network: a gateway JVM and a services JVM (chat, echo and
 * the TCP bridge, conf/services.json) on the shipped conf/cluster.xml, their listening sockets
 * read from /proc as {@code ss -ltnp} shows them. Run it in a network namespace with another,
 * non-loopback address (docs/security.md) to see that nothing binds there either.
 */
@DisplayName("The cluster listens on loopback only")
class ClusterBindingTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static int port;

  @BeforeAll
  static void startCluster() {
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    // the gateway keeps the shipped "host": "0.0.0.0": its HTTP port is the one meant for the network
    gateway = JvmProcess.launch("binding-gateway", cluster.jvmArgs(), Map.of("SWITCHBOARD_PORT", Integer.toString(port)),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Succeeded in deploying verticle", 60_000);
    services = JvmProcess.launch("binding-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 60_000);
  }

  @AfterAll
  static void stopCluster() {
    for (JvmProcess p : new JvmProcess[]{services, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    vertx.close();
  }

  @Test
  @DisplayName("Hazelcast, the clustered event bus and the TCP bridge listen on 127.0.0.1; only the gateway's HTTP port is open wider")
  void onlyTheGatewayPortIsOpen() {
    // the two JVMs formed one cluster: a chat session crosses them
    try (WsClient chat = WsClient.connect(vertx, port, "/chat")) {
      assertEquals("query", chat.nextJson().getString("type"));
    }
    List<Listener> gatewaySockets = ListeningSockets.of(gateway.pid());
    List<Listener> servicesSockets = ListeningSockets.of(services.pid());
    System.out.println("gateway JVM listens on " + gatewaySockets + "; services JVM on " + servicesSockets);

    List<Listener> gatewayWide = gatewaySockets.stream().filter(l -> !l.loopbackOnly()).collect(Collectors.toList());
    assertEquals(1, gatewayWide.size(), "gateway JVM: only its HTTP port may be open beyond loopback: " + gatewaySockets);
    assertEquals(port, gatewayWide.get(0).port(), "gateway JVM: " + gatewaySockets);
    // Hazelcast's member port and the event bus's port, on loopback
    assertTrue(gatewaySockets.stream().filter(Listener::loopbackOnly).count() >= 2, "gateway JVM: " + gatewaySockets);

    assertTrue(servicesSockets.stream().allMatch(Listener::loopbackOnly),
      "services JVM: every port on loopback only: " + servicesSockets);
    // Hazelcast, the event bus and the TCP bridge
    assertTrue(servicesSockets.size() >= 3, "services JVM: " + servicesSockets);
  }
}
