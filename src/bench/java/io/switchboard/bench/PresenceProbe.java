package io.switchboard.bench;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The presence bench's service, run as one instance in each of several JVMs. Text commands:
 * <ul>
 *   <li>{@code observe}: the session joins {@link #REPORTS}, where every instance reports what it saw;</li>
 *   <li>{@code join <group> <t0>}: the session joins the group with the meta {@code {"t0":t0}}
 *       ({@link System#nanoTime()} of the bench, same machine); every instance reports
 *       {@code seen join <instance> <micros> <t0>} when the join reaches its presence;</li>
 *   <li>{@code bus <t0>}: the baseline: a plain clustered event-bus publish to every instance, each
 *       reporting {@code seen bus <instance> <micros> <t0>};</li>
 *   <li>{@code member <group> <name>}: joins the group with the meta {@code {"name":name}}, silently;</li>
 *   <li>{@code cost <group> <calls>}: times {@code members(group)} and {@code count(group)} over
 *       that many calls each; answers {@code cost <instance> <count> <members ns/call> <count ns/call>}.</li>
 * </ul>
 */
public class PresenceProbe extends ServiceVerticle {

  /** The group of the observer sockets. */
  public static final String REPORTS = "reports";
  /** The baseline's address: every instance consumes it. */
  public static final String BUS_ADDRESS = "bench.presence.bus";
  /** The path the probe serves. */
  public static final String PATH = "/presence";

  @Override
  protected String defaultName() {
    return "presence";
  }

  @Override
  protected Future<?> onStart() {
    return vertx.eventBus().<Long>consumer(BUS_ADDRESS, m -> report("bus", m.body())).completion();
  }

  @Override
  protected void onMessage(Session session, String text) {
    String[] w = text.split(" ");
    switch (w[0]) {
      case "observe" -> session.join(REPORTS);
      case "join" -> session.join(w[1], new JsonObject().put("t0", Long.parseLong(w[2])));
      case "bus" -> vertx.eventBus().publish(BUS_ADDRESS, Long.parseLong(w[1]));
      case "member" -> session.join(w[1], new JsonObject().put("name", w[2]));
      case "cost" -> cost(session, w[1], Integer.parseInt(w[2]));
      default -> session.send("unknown " + w[0]);
    }
  }

  @Override
  protected void onJoined(String group, String sessionId, JsonObject meta) {
    if (meta != null && meta.getValue("t0") instanceof Number t0) {
      report("join", t0.longValue());
    }
  }

  private void report(String what, long t0) {
    long micros = (System.nanoTime() - t0) / 1000;
    publish(REPORTS, "seen " + what + " " + instanceAddress() + " " + micros + " " + t0);
  }

  private void cost(Session session, String group, int calls) {
    long sink = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      sink += presence().members(group).size();
    }
    long membersNanos = (System.nanoTime() - t0) / calls;
    t0 = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      sink += presence().count(group);
    }
    long countNanos = Math.max(1, (System.nanoTime() - t0) / calls);
    session.send("cost " + instanceAddress() + " " + presence().count(group) + " " + membersNanos + " " + countNanos + " " + (sink & 1));
  }
}
