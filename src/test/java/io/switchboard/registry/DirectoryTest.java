package io.switchboard.registry;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's directory in one JVM, fed announces on the bus: who may speak for an entry. A
 * peer announcing for another (another node, a tiny heartbeat, the wrong shape) must not make it
 * drop a real gateway or instance.
 */
@DisplayName("The registry directory")
@Timeout(60)
class DirectoryTest {

  private static final String GW = Addresses.gateway("real1234");
  private static final String CHAT = Addresses.serviceInstance("chat", "real1234");

  private Vertx vertx;
  private Directory directory;
  private Context context;
  private final List<String> lost = new CopyOnWriteArrayList<>();
  private final List<String> withdrawn = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    directory = new Directory(vertx).onLost(e -> lost.add(e.address())).onWithdrawn(e -> withdrawn.add(e.address()));
    context = vertx.getOrCreateContext();
    await(onLoop(() -> directory.start()));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("ignores announces for an existing entry from another node, with a tiny heartbeat or a foreign shape, forged withdraws, and late announces after a withdraw")
  void peersCannotSpeakForOthers() throws Exception {
    publish(gateway("1@real", 1000));
    publish(chat("1@real", 1000, "/chat"));
    awaitTrue(() -> directory.get(GW) != null && directory.get(CHAT) != null);

    publish(gateway("666@evil", 1000).put("sessions", 99));            // another node claims the gateway
    publish(gateway("1@real", 1));                                      // the real node's id, a 1 ms heartbeat
    publish(chat("1@real", 1, "/chat"));
    publish(chat("666@evil", 1000, "/chat").put("service", "evil"));   // the chat instance as another service
    publish(new JsonObject().put("op", "withdraw").put("role", "gateway").put("instance", GW).put("node", "666@evil"));
    publish(new JsonObject().put("op", "withdraw").put("service", "chat").put("instance", CHAT));
    publish(chat("666@evil", 1000, "/x").put("role", "gateway"));      // a service address announced as a gateway
    publish(gateway("666@evil", 1000).put("instance", Addresses.service("chat") + ".x").put("role", "host"));
    publish(chat("666@evil", 1, "/new").put("instance", Addresses.serviceInstance("chat", "new")));
    publish(chat("666@evil", 1000, "/x").put("paths", "not an array"));

    // four real heartbeats later, nothing was lost, nothing changed hands
    for (int i = 0; i < 4; i++) {
      Thread.sleep(300); // the real peers' heartbeat period (not a wait for a condition)
      publish(gateway("1@real", 1000));
      publish(chat("1@real", 1000, "/chat"));
    }
    assertEquals(List.of(), lost, "no real entry reported lost");
    onLoop(() -> {
      assertEquals("1@real", directory.get(GW).node());
      assertEquals(1000, directory.get(GW).heartbeatMs());
      assertEquals(0, directory.get(GW).sessions());
      assertEquals("chat", directory.get(CHAT).service());
      assertEquals("chat", directory.serviceForPath("/chat"));
      assertNull(directory.get(Addresses.serviceInstance("chat", "new")), "a 1 ms heartbeat is not believed");
      assertNull(directory.serviceForPath("/new"));
      return null;
    });

    publish(new JsonObject().put("op", "withdraw").put("role", "gateway").put("instance", GW).put("node", "1@real"));
    awaitTrue(() -> directory.get(GW) == null);
    assertEquals(List.of(), lost, "a withdraw from the announcer's node is no loss");
    assertEquals(List.of(GW), withdrawn, "it is reported as a withdraw, once (the forged ones were not)");
    publish(gateway("1@real", 1000)); // a heartbeat that was on its way when the gateway stopped
    publish(chat("1@real", 1000, "/chat"));
    awaitTrue(() -> directory.get(CHAT) != null); // read after the late heartbeat (same sender, in order)
    assertNull(onLoop(() -> directory.get(GW)), "a withdrawn address does not come back");
  }

  @Test
  @DisplayName("never routes a path a gateway keeps for itself")
  void reservedPaths() throws Exception {
    publish(chat("1@real", 1000, "/", "/admin/", "/eventbus", "/health", "/ready", "/metrics", "/rt/admin", "/chat"));
    awaitTrue(() -> directory.get(CHAT) != null);
    onLoop(() -> {
      for (String p : List.of("/", "/admin/", "/eventbus", "/health", "/ready", "/metrics")) {
        assertNull(directory.serviceForPath(p), p);
      }
      assertEquals("chat", directory.serviceForPath("/chat"));
      assertEquals("chat", directory.serviceForPath("/rt/admin"), "only the gateway's own paths are kept back");
      assertNotNull(directory.get(CHAT));
      return null;
    });
  }

  @Test
  @DisplayName("drops an entry silent past its heartbeat timeout, reports it lost once and unroutes its paths; a live one stays")
  void sweep() throws Exception {
    publish(gateway("1@real", 1000));
    publish(chat("1@real", 50, "/chat").put(Announce.HEARTBEAT_TIMEOUT_MS, 200));
    awaitTrue(() -> directory.get(GW) != null && directory.get(CHAT) != null);
    // the gateway keeps heartbeating, the chat instance (50 ms heartbeat) falls silent
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!onLoop(() -> directory.get(CHAT) == null)) {
      assertTrue(System.nanoTime() < deadline, "the silent instance was never swept");
      publish(gateway("1@real", 1000));
      Thread.sleep(50); // the live gateway's heartbeats (not a wait for a condition)
    }
    awaitTrue(() -> lost.contains(CHAT));
    onLoop(() -> {
      assertNull(directory.get(CHAT));
      assertNull(directory.serviceForPath("/chat"), "a lost instance's path is no longer routed");
      assertTrue(directory.instances("chat").isEmpty());
      assertNotNull(directory.get(GW), "a heartbeating entry is never swept");
      return null;
    });
    assertEquals(List.of(CHAT), lost, "reported once, and only the silent entry");
  }

  @Test
  @DisplayName("keeps an entry whose heartbeats stall (a busy JVM) while its JVM is a member, far past four missed heartbeats")
  void stallIsNotDeath() throws Exception {
    Set<String> members = ConcurrentHashMap.newKeySet();
    members.add("m1");
    Directory clustered = clustered(members);
    publish(chat("1@real", 50, "/chat").put(Announce.MEMBER, "m1").put(Announce.HEARTBEAT_TIMEOUT_MS, 20_000));
    awaitTrue(() -> clustered.get(CHAT) != null);
    Thread.sleep(1000); // silent for 20 heartbeats: the old rule (4 missed) would have dropped it
    assertTrue(onLoop(() -> clustered.get(CHAT) != null), "a silent member's entry is kept until its heartbeat timeout");
    assertEquals(List.of(), lost);
  }

  @Test
  @DisplayName("takes an entry for lost the moment its JVM leaves the cluster, and believes no announce from a non-member")
  void membershipDecides() throws Exception {
    Set<String> members = ConcurrentHashMap.newKeySet();
    members.add("m1");
    Directory clustered = clustered(members);
    publish(gateway("1@real", 1000).put(Announce.MEMBER, "m1"));
    publish(chat("9@gone", 1000, "/chat").put(Announce.MEMBER, "m9"));   // m9 is no member (cut off, or made up)
    awaitTrue(() -> clustered.get(GW) != null);
    Thread.sleep(300); // the non-member's announce has been read by now (published before the awaited one)
    assertNull(onLoop(() -> clustered.get(CHAT)), "an announce from a JVM outside the cluster is not believed");

    members.add("m9");
    publish(chat("9@gone", 1000, "/chat").put(Announce.MEMBER, "m9"));
    awaitTrue(() -> clustered.get(CHAT) != null);
    members.remove("m1");
    awaitTrue(() -> clustered.get(GW) == null);
    awaitTrue(() -> lost.contains(GW));
    assertEquals(List.of(GW), lost, "only the entry of the JVM that left");
    assertNotNull(onLoop(() -> clustered.get(CHAT)));
  }

  @Test
  @DisplayName("drops an entry at once on a lost from the member that announced it (a TCP bridge whose client dropped), not from another")
  void bridgeSaysLost() throws Exception {
    Set<String> members = ConcurrentHashMap.newKeySet();
    members.add("bridge");
    members.add("other");
    Directory clustered = clustered(members);
    JsonObject announce = chat("7@python", 1000, "/chat").put(Announce.MEMBER, "bridge");
    publish(announce);
    awaitTrue(() -> clustered.get(CHAT) != null);
    publish(Announce.lost(announce).put(Announce.MEMBER, "other"));
    Thread.sleep(300);
    assertNotNull(onLoop(() -> clustered.get(CHAT)), "a lost from another member is ignored");
    publish(Announce.lost(announce));
    awaitTrue(() -> clustered.get(CHAT) == null);
    awaitTrue(() -> lost.contains(CHAT));
  }

  /** A second directory on the same bus that reads its cluster members from {@code members}; its losses go to {@link #lost}. */
  private Directory clustered(Set<String> members) throws Exception {
    Directory d = new Directory(vertx, () -> Set.copyOf(members)).onLost(e -> lost.add(e.address()));
    await(onLoop(d::start));
    return d;
  }

  /** Runs on the directory's event loop (it is confined there) and returns the result. */
  private <T> T onLoop(Supplier<T> read) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(read.get());
      } catch (RuntimeException | AssertionError e) {
        result.completeExceptionally(e);
      }
    });
    return result.get(30, TimeUnit.SECONDS);
  }

  private void publish(JsonObject announce) {
    vertx.eventBus().publish(Addresses.REGISTRY, announce);
  }

  private static JsonObject gateway(String node, long heartbeatMs) {
    return new JsonObject().put(Announce.OP, Announce.OP_ANNOUNCE).put(Announce.ROLE, Announce.ROLE_GATEWAY)
      .put(Announce.INSTANCE, GW).put(Announce.NODE, node).put(Announce.HEARTBEAT_MS, heartbeatMs).put("sessions", 0);
  }

  private static JsonObject chat(String node, long heartbeatMs, String... paths) {
    return new JsonObject().put(Announce.OP, Announce.OP_ANNOUNCE).put(Announce.ROLE, Announce.ROLE_SERVICE)
      .put(Announce.SERVICE, "chat").put(Announce.INSTANCE, CHAT).put(Announce.NODE, node)
      .put(Announce.HEARTBEAT_MS, heartbeatMs).put(Announce.PATHS, new JsonArray(List.of(paths)));
  }

  private void awaitTrue(Supplier<Boolean> condition) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    long pause = 5;
    while (!onLoop(condition)) {
      assertTrue(System.currentTimeMillis() < deadline, "condition not met within 20 s");
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 200);
    }
  }
}
