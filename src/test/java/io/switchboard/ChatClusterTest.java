package io.switchboard;

import io.switchboard.testing.Await;
import io.switchboard.testing.ChatScenario;
import io.switchboard.testing.ChatUser;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stateless seed chat at scale: two gateway JVMs and two chat JVMs (the demo chat, plus a
 * test-only {@code who} command: {@link io.switchboard.testing.WhoChatService}), all real JVMs on
 * a private Hazelcast cluster, clients on every gateway × chat-instance combination. Then one chat
 * JVM and one gateway JVM are killed with {@code kill -9}. The steps build on each other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("The seed chat on two gateway JVMs and two chat JVMs")
class ChatClusterTest {

  private static final String ROOM = "four";
  /** Each sender's pause between two messages while a chat JVM is killed. */
  private static final long SEND_EVERY_MS = 50;
  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gatewayA;
  private static JvmProcess gatewayB;
  private static JvmProcess chat1;
  private static JvmProcess chat2;
  private static int portA;
  private static int portB;
  /** One user per gateway × chat instance, all in {@link #ROOM}, by "<gateway><instance>". */
  private static final Map<String, ChatUser> users = new LinkedHashMap<>();
  private static final Map<String, String> instanceOf = new HashMap<>();
  private static String instance1;
  private static String instance2;

  @BeforeAll
  static void startCluster() throws IOException {
    vertx = Vertx.vertx();
    Path dir = Files.createDirectories(Path.of("target", "chat-cluster-test"));
    portA = TestCluster.freePort();
    portB = TestCluster.freePort();
    Path services = dir.resolve("services.json");
    Files.writeString(services, new JsonObject().put("services", new JsonArray()
        .add(new JsonObject().put("verticle", "io.switchboard.testing.WhoChatService").put("conf", "conf/chat.json")))
      .encodePrettily());
    gatewayA = JvmProcess.launch("chat-cluster-gateway-a", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", gatewayConf(dir, "a", portA).toString(), "-cluster");
    gatewayB = JvmProcess.launch("chat-cluster-gateway-b", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", gatewayConf(dir, "b", portB).toString(), "-cluster");
    chat1 = JvmProcess.launch("chat-cluster-chat-1", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", services.toString(), "-cluster");
    chat2 = JvmProcess.launch("chat-cluster-chat-2", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", services.toString(), "-cluster");
    for (JvmProcess p : new JvmProcess[]{gatewayA, gatewayB}) {
      p.await("Gateway node .* ready", 90_000);
    }
    instance1 = chat1.await("Service chat ready at (\\S+)", 90_000).group(1);
    instance2 = chat2.await("Service chat ready at (\\S+)", 90_000).group(1);
    for (int port : new int[]{portA, portB}) {
      Await.until("both chat instances reached through port " + port, 60_000, () -> seenInstances(port), seen -> seen.size() == 2);
    }
  }

  private static Path gatewayConf(Path dir, String name, int port) throws IOException {
    Path conf = dir.resolve("gateway-" + name + ".json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", port).encodePrettily());
    return conf;
  }

  /** The chat instances a few new clients of this gateway are bound to. */
  private static Set<String> seenInstances(int port) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      try (ChatUser probe = ChatUser.connect(vertx, port, "/chat", "probe")) {
        seen.add(probe.who());
      }
    }
    return seen;
  }

  @AfterAll
  static void stopCluster() {
    users.values().forEach(u -> {
      if (!u.isClosed()) {
        u.close();
      }
    });
    for (JvmProcess p : new JvmProcess[]{chat1, chat2, gatewayA, gatewayB}) {
      if (p != null) {
        p.close();
      }
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("runs the whole seed scenario through either gateway, its clients spread over both chat instances")
  void seedScenario() {
    new ChatScenario(vertx, portA, "/chat", "a-").run();
    new ChatScenario(vertx, portB, "/demo_chatroom", "b-").run();
  }

  @Test
  @Order(2)
  @DisplayName("clients on all four gateway × chat-instance combinations share rooms, names, counts and messages")
  void fourCombinations() {
    for (String gateway : new String[]{"A", "B"}) {
      int port = gateway.equals("A") ? portA : portB;
      List<ChatUser> extra = new ArrayList<>();
      for (int tries = 0; tries < 20 && !(users.containsKey(gateway + "1") && users.containsKey(gateway + "2")); tries++) {
        ChatUser u = ChatUser.connect(vertx, port, "/chat", "u" + gateway + tries);
        String instance = u.who();
        String key = gateway + (instance.equals(instance1) ? "1" : "2");
        if (users.containsKey(key)) {
          extra.add(u);
        } else {
          users.put(key, u);
          instanceOf.put(key, instance);
        }
      }
      extra.forEach(ChatUser::close);
    }
    assertEquals(Set.of("A1", "A2", "B1", "B2"), users.keySet(), "a client on each gateway × chat instance");

    users.values().forEach(ChatUser::name);
    ChatUser first = users.get("A1");
    first.send(new JsonObject().put("type", "create").put("chatroom", ROOM));
    for (ChatUser u : users.values()) {
      u.await(t -> t.equals(event(new JsonObject().put("type", "newchatroom").put("name", ROOM))));
    }
    int joined = 0;
    for (ChatUser u : users.values()) {
      u.join(ROOM);
      joined++;
      String update = update(ROOM, joined);
      for (ChatUser other : users.values()) {
        other.await(t -> t.equals(update));
      }
    }
    for (ChatUser u : users.values()) {
      u.send(new JsonObject().put("type", "message").put("message", "hi from " + u.name));
    }
    for (ChatUser receiver : users.values()) {
      for (ChatUser sender : users.values()) {
        receiver.await(t -> t.equals(message(sender.name, "hi from " + sender.name)));
      }
      assertNewUsersSeen(receiver);
    }
    for (int port : new int[]{portA, portB}) {
      try (WsClient late = WsClient.connect(vertx, port, "/chat", "late")) {
        late.nextJson();
        JsonArray rooms = late.nextJson().getJsonObject("event").getJsonArray("chatrooms");
        assertTrue(rooms.contains(new JsonArray().add(ROOM).add(4)), "the room with its 4 members is listed: " + rooms);
      }
    }
  }

  /** Each member heard of every member that joined after it, by name. */
  private static void assertNewUsersSeen(ChatUser receiver) {
    boolean after = false;
    for (ChatUser u : users.values()) {
      if (after) {
        receiver.await(t -> t.equals(event(new JsonObject().put("type", "newuser").put("name", u.name))));
      }
      after |= u == receiver;
    }
  }

  @Test
  @Order(3)
  @DisplayName("kill -9 of a chat JVM mid-chat closes no client; names, rooms, counts and every later message survive, in order per sender")
  void killChatInstance() throws Exception {
    assertEquals(4, users.size(), "needs the four users of the previous step");
    Map<String, AtomicInteger> sent = new LinkedHashMap<>();
    users.values().forEach(u -> sent.put(u.name, new AtomicInteger()));
    Map<String, Integer> firstAfterKill = new HashMap<>();
    ScheduledExecutorService senders = Executors.newScheduledThreadPool(1);
    try {
      for (ChatUser u : users.values()) {
        senders.scheduleAtFixedRate(() -> u.send(new JsonObject().put("type", "message")
          .put("message", "seq:" + sent.get(u.name).incrementAndGet())), 0, SEND_EVERY_MS, TimeUnit.MILLISECONDS);
      }
      Thread.sleep(1_000); // mid-chat
      chat1.kill();
      users.values().forEach(u -> firstAfterKill.put(u.name, sent.get(u.name).get() + 1));
      // through the detection of the loss and the rebind, and on after it
      Await.until("the sessions of the killed instance rebound", 30_000,
        () -> users.entrySet().stream().filter(e -> e.getKey().endsWith("1")).allMatch(e -> e.getValue().who().equals(instance2)));
      Thread.sleep(1_000);
    } finally {
      senders.shutdownNow();
      senders.awaitTermination(5, TimeUnit.SECONDS);
    }
    Map<String, Integer> last = new HashMap<>();
    sent.forEach((name, n) -> last.put(name, n.get()));

    for (ChatUser receiver : users.values()) {
      assertFalse(receiver.isClosed(), receiver.name + " was disconnected");
      for (ChatUser sender : users.values()) {
        String lastText = message(sender.name, "seq:" + last.get(sender.name));
        receiver.awaitFrom(0, t -> t.equals(lastText), 30_000);
      }
      Map<String, List<Integer>> bySender = seqsBySender(receiver.texts());
      for (ChatUser sender : users.values()) {
        List<Integer> got = bySender.getOrDefault(sender.name, List.of());
        List<Integer> firsts = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int seq : got) {
          if (seen.add(seq)) {
            firsts.add(seq);
          }
        }
        for (int i = 1; i < firsts.size(); i++) {
          assertTrue(firsts.get(i) > firsts.get(i - 1),
            receiver.name + " got " + sender.name + "'s messages out of order: " + firsts);
        }
        for (int seq = firstAfterKill.get(sender.name); seq <= last.get(sender.name); seq++) {
          assertTrue(seen.contains(seq), receiver.name + " missed " + sender.name + "'s message " + seq + " (sent after the kill); got " + firsts);
        }
        System.out.printf("kill -9 of a chat JVM: %s got %d of %s's messages (%d after the kill), %d duplicate(s) (replayed)%n",
          receiver.name, seen.size(), sender.name, last.get(sender.name) - firstAfterKill.get(sender.name) + 1, got.size() - seen.size());
      }
    }

    // membership and counts intact: a newcomer is announced to all four and counted as the fifth
    ChatUser newcomer = ChatUser.connect(vertx, portA, "/chat", "newcomer");
    users.put("new", newcomer);
    newcomer.name();
    newcomer.join(ROOM);
    for (ChatUser u : users.values()) {
      u.await(t -> t.equals(update(ROOM, 5)));
      if (u != newcomer) {
        u.await(t -> t.equals(event(new JsonObject().put("type", "newuser").put("name", "newcomer"))));
      }
    }
    for (ChatUser u : users.values()) {
      assertNotEquals(instance1, u.who(), u.name + " is bound to the live instance");
    }
  }

  @Test
  @Order(4)
  @DisplayName("kill -9 of a gateway JVM: its members leave the room, and the counts drop, on every other gateway")
  void killGateway() {
    assertEquals(5, users.size(), "needs the five users of the previous step");
    List<ChatUser> onA = users.values().stream().filter(u -> u.port == portA).toList();
    List<ChatUser> onB = users.values().stream().filter(u -> u.port == portB).toList();
    assertEquals(2, onB.size());
    List<Integer> marks = onA.stream().map(ChatUser::size).toList();
    long t0 = System.nanoTime();
    gatewayB.kill();
    String dropped = update(ROOM, onA.size());
    long[] seenMs = new long[onA.size()];
    for (int i = 0; i < onA.size(); i++) {
      ChatUser u = onA.get(i);
      // a generous bound: the ≤ 3 s goal rests on the cluster's liveness (Hazelcast membership)
      u.awaitFrom(marks.get(i), t -> t.equals(dropped), 30_000);
      seenMs[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      for (ChatUser gone : onB) {
        u.awaitFrom(marks.get(i), t -> t.equals(event(new JsonObject().put("type", "logoff").put("name", gone.name))), 10_000);
      }
      assertFalse(u.isClosed(), u.name + " (gateway A) was disconnected");
    }
    System.out.printf("kill -9 of a gateway JVM: its 2 members left the room on the other gateway's clients after %s ms%n",
      java.util.Arrays.toString(seenMs));
    users.values().removeAll(onB);
    try (WsClient late = WsClient.connect(vertx, portA, "/chat", "late")) {
      late.nextJson();
      JsonArray rooms = late.nextJson().getJsonObject("event").getJsonArray("chatrooms");
      assertTrue(rooms.contains(new JsonArray().add(ROOM).add(onA.size())), "the room lists its " + onA.size() + " members: " + rooms);
    }
  }

  /** Each sender's message numbers ("seq:N") in the order they arrived. */
  private static Map<String, List<Integer>> seqsBySender(List<String> texts) {
    Map<String, List<Integer>> bySender = new HashMap<>();
    for (String t : texts) {
      if (!t.startsWith("{")) {
        continue;
      }
      JsonObject e = new JsonObject(t).getJsonObject("event");
      if (e != null && "message".equals(e.getString("type")) && e.getString("message").startsWith("seq:")) {
        bySender.computeIfAbsent(e.getString("name"), n -> new ArrayList<>()).add(Integer.parseInt(e.getString("message").substring(4)));
      }
    }
    return bySender;
  }

  private static String event(JsonObject inner) {
    return new JsonObject().put("type", "event").put("event", inner).encode();
  }

  private static String message(String name, String text) {
    return event(new JsonObject().put("type", "message").put("name", name).put("message", text));
  }

  private static String update(String room, int count) {
    return event(new JsonObject().put("type", "update").put("data", new JsonArray().add(room).add(count)));
  }
}
