package io.switchboard.service.impl;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PresenceWire;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A service instance's presence replica, fed by hand: deltas, gaps, snapshots, its own changes, a lost gateway. */
@DisplayName("A presence replica")
class PresenceReplicaTest {

  private static final String GW = "switchboard.gateway.g1";
  private static final String GW2 = "switchboard.gateway.g2";
  private static final String ME = "switchboard.service.svc.me";

  private Vertx vertx;
  private Context context;
  private PresenceReplica replica;
  private final List<String> events = new ArrayList<>();
  private final BlockingQueue<Message<Object>> syncs = new LinkedBlockingQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    await(vertx.eventBus().consumer(GW, syncs::add).completion());
    replica = on(() -> new PresenceReplica(vertx, "svc", ME, new PresenceReplica.Events() {
      @Override
      public void joined(String group, String sessionId, JsonObject meta) {
        events.add("+" + group + " " + sessionId + " " + meta.encode());
      }

      @Override
      public void left(String group, String sessionId, JsonObject meta) {
        events.add("-" + group + " " + sessionId + " " + meta.encode());
      }
    }));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("applies a gateway's deltas in order and answers members, count and groups from them")
  void appliesDeltas() throws Exception {
    feed(deltas(GW, 1, join("room", "s1", "{\"name\":\"ada\"}"), join("room", "s2", "{}")));
    feed(deltas(GW, 2, leave("room", "s2"), join("news", "s1", "{}")));
    feed(deltas(GW, 2, join("room", "s9", "{}"))); // a duplicate: skipped
    assertEquals(Map.of("s1", new JsonObject().put("name", "ada")), on(() -> replica.members("room")));
    assertEquals(1, (int) on(() -> replica.count("room")));
    assertEquals(java.util.Set.of("room", "news"), on(() -> replica.groups()));
    assertEquals(List.of("+room s1 {\"name\":\"ada\"}", "+room s2 {}", "-room s2 {}", "+news s1 {}"), on(() -> List.copyOf(events)));
    assertNull(syncs.poll(200, TimeUnit.MILLISECONDS), "no snapshot asked");
  }

  @Test
  @DisplayName("asks the gateway for a snapshot on a gap, keeps later deltas meanwhile and converges on snapshot plus them")
  void gapThenSnapshot() throws Exception {
    feed(deltas(GW, 1, join("room", "s1", "{}")));
    feed(deltas(GW, 4, join("room", "s4", "{}"))); // 2 and 3 were missed
    Message<Object> sync = syncs.poll(5, TimeUnit.SECONDS);
    assertNotNull(sync, "a sync sent to the gateway");
    assertEquals(Op.SYNC.wire(), sync.headers().get(Headers.OP));
    assertEquals("svc", sync.headers().get(Headers.SERVICE));
    assertEquals(ME, sync.headers().get(Headers.INSTANCE));
    feed(deltas(GW, 5, leave("room", "s3")));
    // as of change 4: s1 left (change 2), s3 joined (3), s4 joined (4)
    feed(PresenceWire.snapshot(GW, 4, new JsonObject().put("room", new JsonObject().put("s3", new JsonObject()).put("s4", new JsonObject()))));
    assertEquals(java.util.Set.of("s4"), on(() -> replica.members("room").keySet()));
    feed(deltas(GW, 6, join("room", "s6", "{}")));
    assertEquals(2, (int) on(() -> replica.count("room")));
  }

  @Test
  @DisplayName("asks for a snapshot when a beacon is ahead of what it has, or when a gateway it never heard of is mid-sequence")
  void beaconAhead() throws Exception {
    feed(PresenceWire.beacon(GW, 7));
    assertNotNull(syncs.poll(5, TimeUnit.SECONDS), "a sync for the unknown gateway's beacon");
    feed(PresenceWire.snapshot(GW, 7, new JsonObject().put("room", new JsonObject().put("s1", new JsonObject().put("name", "bo")))));
    assertEquals(1, (int) on(() -> replica.count("room")));
    feed(PresenceWire.beacon(GW, 7));
    assertNull(syncs.poll(300, TimeUnit.MILLISECONDS), "up to date: no sync");
  }

  @Test
  @DisplayName("shows this instance's own changes at once and lets the gateway's word win once it confirmed them all")
  void localFirst() throws Exception {
    on(() -> {
      replica.local(GW, "s1", "g1", new JsonObject().put("name", "ada"));
      replica.local(GW, "s1", "g2", new JsonObject());
      return null;
    });
    assertEquals(2, (int) on(() -> replica.groups().size()), "visible before any confirmation");
    feed(deltas(GW, 1, join("g1", "s1", "{\"name\":\"ada\"}"), leave("g2", "s1"))); // g2 refused by the gateway
    assertEquals(java.util.Set.of("g1"), on(() -> replica.groups()));
    assertEquals(List.of("+g1 s1 {\"name\":\"ada\"}", "+g2 s1 {}", "-g2 s1 {}"), on(() -> List.copyOf(events)));
    on(() -> {
      replica.local(GW, "s1", "g1", null);
      replica.local(GW, "s1", "g1", new JsonObject().put("name", "ada2"));
      return null;
    });
    feed(deltas(GW, 2, leave("g1", "s1"))); // confirms the first; the second is still on its way: no flicker
    assertEquals(new JsonObject().put("name", "ada2"), on(() -> replica.members("g1").get("s1")));
    feed(deltas(GW, 3, join("g1", "s1", "{\"name\":\"ada2\"}")));
    assertEquals(new JsonObject().put("name", "ada2"), on(() -> replica.members("g1").get("s1")));
  }

  @Test
  @DisplayName("drops every member of a lost gateway with a leave each, and only those")
  void gatewayLost() throws Exception {
    feed(deltas(GW, 1, join("room", "s1", "{}"), join("news", "s1", "{}"), join("room", "s2", "{}")));
    feed(deltas(GW2, 1, join("room", "t1", "{}")));
    events.clear();
    assertEquals(3, (int) on(() -> replica.gatewayLost(GW)));
    assertEquals(Map.of("t1", new JsonObject()), on(() -> replica.members("room")));
    assertEquals(java.util.Set.of("room"), on(() -> replica.groups()));
    List<String> left = on(() -> List.copyOf(events));
    assertEquals(3, left.size());
    assertTrue(left.stream().allMatch(e -> e.startsWith("-")), "only leaves: " + left);
    assertEquals(0, (int) on(() -> replica.gatewayLost(GW)), "a second loss finds nothing");
  }

  @Test
  @DisplayName("makes a closed session of this instance leave its groups at once")
  void closedLeaves() throws Exception {
    feed(deltas(GW, 1, join("room", "s1", "{}"), join("news", "s1", "{}"), join("room", "s2", "{}")));
    on(() -> {
      replica.closed(GW, "s1", List.of("room", "news"));
      return null;
    });
    assertEquals(java.util.Set.of("s2"), on(() -> replica.members("room").keySet()));
    assertEquals(java.util.Set.of("room"), on(() -> replica.groups()));
  }

  @Test
  @DisplayName("answers members() with a snapshot: the same map while the group is unchanged, untouched by later changes")
  void membersSnapshot() throws Exception {
    feed(deltas(GW, 1, join("room", "s1", "{}")));
    Map<String, JsonObject> first = on(() -> replica.members("room"));
    assertTrue(first == on(() -> replica.members("room")), "an unchanged group: the same map again");
    feed(deltas(GW, 2, join("room", "s2", "{}")));
    assertEquals(java.util.Set.of("s1"), first.keySet(), "the earlier snapshot did not change");
    assertEquals(java.util.Set.of("s1", "s2"), on(() -> replica.members("room").keySet()));
    on(() -> replica.gatewayLost(GW));
    assertEquals(Map.of(), on(() -> replica.members("room")), "a lost gateway's members gone from the next read");
  }

  private void feed(JsonObject msg) throws Exception {
    on(() -> {
      replica.onMessage(msg);
      return null;
    });
  }

  private <T> T on(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(action.get());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result.get(10, TimeUnit.SECONDS);
  }

  private static JsonObject deltas(String gw, long seq, JsonArray... entries) {
    JsonArray all = new JsonArray();
    for (JsonArray e : entries) {
      all.add(e);
    }
    return PresenceWire.deltas(gw, seq, all);
  }

  private static JsonArray join(String group, String sid, String meta) {
    return PresenceWire.joined(group, sid, new JsonObject(meta));
  }

  private static JsonArray leave(String group, String sid) {
    return PresenceWire.left(group, sid);
  }
}
