package io.switchboard.testing;

import io.switchboard.service.Failover;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * A fake service for presence tests ({@code rebind} failover), driven by its clients, answering
 * JSON: {@code join:G[:META]} / {@code leave:G} change groups, {@code attr:K[:JSON]} sets (or
 * removes) an attribute, {@code state} answers the session's id, instance, rebind flag,
 * attributes and groups, {@code members:G} this instance's view of a group (count and members),
 * {@code groups} the groups it sees, {@code events} the onJoined/onLeft it heard
 * ({@code "+G sid meta"} / {@code "-G sid meta"}, the last 10 000), {@code violations} how many
 * onClose found their session still a member in this instance's view (must stay 0) and how many
 * onClose ran ({@code closes}), {@code seen}
 * when it first heard of a join to each group (epoch µs; a join's answer has its own {@code at}).
 */
public class PresenceService extends ServiceVerticle {

  private static final int MAX_EVENTS = 10_000;
  private final JsonArray events = new JsonArray();
  /** Group to when this instance first heard a join to it (epoch µs), for latency figures; bounded. */
  private final JsonObject firstJoinSeen = new JsonObject();
  private int violations;
  private int closes;

  @Override
  protected String defaultName() {
    return "presence";
  }

  @Override
  protected Failover defaultFailover() {
    return Failover.REBIND;
  }

  @Override
  protected void onMessage(Session session, String text) {
    String[] parts = text.split(":", 3);
    JsonObject answer = new JsonObject().put("instance", instanceAddress());
    switch (parts[0]) {
      case "join":
        answer.put("at", micros());
        session.join(parts[1], parts.length > 2 ? new JsonObject(parts[2]) : null);
        answer.put("ok", "join");
        break;
      case "leave":
        session.leave(parts[1]);
        answer.put("ok", "leave");
        break;
      case "attr":
        session.setAttribute(parts[1], parts.length > 2 ? Json.decodeValue(parts[2]) : null);
        answer.put("ok", "attr");
        break;
      case "state":
        answer.put("id", session.id()).put("rebind", session.isRebind()).put("attributes", session.attributes().copy())
          .put("groups", new JsonArray(new java.util.ArrayList<>(session.groups())));
        break;
      case "members":
        JsonObject members = new JsonObject();
        for (Map.Entry<String, JsonObject> m : presence().members(parts[1]).entrySet()) {
          members.put(m.getKey(), m.getValue());
        }
        answer.put("count", presence().count(parts[1])).put("members", members);
        break;
      case "groups":
        answer.put("groups", new JsonArray(new java.util.ArrayList<>(presence().groups())));
        break;
      case "events":
        answer.put("events", events.copy());
        break;
      case "seen":
        answer.put("seen", firstJoinSeen.copy());
        break;
      case "violations":
        answer.put("violations", violations).put("closes", closes);
        break;
      default:
        answer.put("error", "unknown command " + parts[0]);
    }
    session.send(answer.encode());
  }

  @Override
  protected void onJoined(String group, String sessionId, JsonObject meta) {
    if (firstJoinSeen.size() < MAX_EVENTS && !firstJoinSeen.containsKey(group)) {
      firstJoinSeen.put(group, micros());
    }
    record("+" + group + " " + sessionId + " " + meta.encode());
  }

  @Override
  protected void onLeft(String group, String sessionId, JsonObject meta) {
    record("-" + group + " " + sessionId + " " + meta.encode());
  }

  @Override
  protected void onClose(Session session, int code, String reason) {
    closes++;
    for (String group : presence().groups()) {
      if (presence().members(group).containsKey(session.id())) {
        violations++;
      }
    }
  }

  private static long micros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
  }

  private void record(String event) {
    if (events.size() >= MAX_EVENTS) {
      events.remove(0);
    }
    events.add(event);
  }
}
