package io.switchboard.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * burst: the seed chat's join burst of issue 12 ({@link ChatBurst}): {@code --members} clients
 * (1 000) on {@code /demo_chatroom} name themselves and all join one room at once, then ten post
 * five messages each. On ours with the demo {@code ChatService} in one service JVM, then (the
 * same burst, a new room) with a second chat JVM added: the baseline is one instance.
 */
final class BurstScenario extends Scenario {

  static final String PATH = "/demo_chatroom";
  static final int SENDERS = 10;
  static final int MESSAGES_EACH = 5;
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  BurstScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "burst";
  }

  @Override
  void run() {
    Target sb = fleet.target(Target.SWITCHBOARD);
    ServerJvm gateway = sb.gateways().get(0);
    JsonObject chat = new JsonObject().put("services", new JsonArray().add(new JsonObject()
      .put("verticle", "io.switchboard.demo.ChatService")
      .put("config", new JsonObject().put("name", "chat").put("paths", new JsonArray().add(PATH)))));
    int n = options.members;
    fleet.startServiceJvm("chat-service-a", chat, "Service chat ready");
    gateway.await("Announced: service chat ", Fleet.START_TIMEOUT);
    ChatBurst.Result one = measure("1 chat instance", sb, n);
    fleet.startServiceJvm("chat-service-b", chat, "Service chat ready");
    gateway.await("(?s)Announced: service chat .*Announced: service chat ", Fleet.START_TIMEOUT);
    ChatBurst.Result two = measure("2 chat instances", sb, n);

    String suffix = ", " + n + " members";
    for (Object[] row : new Object[][]{{"1 chat JVM", one}, {"2 chat JVMs", two}}) {
      String on = " (" + row[0] + ")";
      ChatBurst.Result r = (ChatBurst.Result) row[1];
      boolean all = r.confirmed() == r.members();
      figures.add(Figure.of(name(), "time to all joins confirmed" + suffix + on, "ms").value(Target.SWITCHBOARD, r.joinMs())
        .goal("all confirmed", all).note(all ? "" : "only " + r.confirmed() + " of " + r.members() + " joins confirmed" + on));
      figures.add(Figure.of(name(), "burst deliveries per second" + suffix + on, "msg/s").value(Target.SWITCHBOARD, round(r.deliveriesPerSecond(), 0)));
      figures.add(Figure.of(name(), "later messages lost" + suffix + on, "msgs")
        .value(Target.SWITCHBOARD, r.messagesExpected() - r.messagesDelivered()).goal("0", r.messagesExpected() == r.messagesDelivered()));
    }
    raw.put("oneInstance", one.toJson()).put("twoInstances", two.toJson());
  }

  private ChatBurst.Result measure(String label, Target sb, int n) {
    ChatBurst.Result r = ChatBurst.run(client.vertx(), sb.ports(), PATH, n, SENDERS, MESSAGES_EACH, TIMEOUT);
    say("%s: %d of %d joins confirmed in %d ms; %d deliveries in %d ms (%.0f/s); %d of %d later deliveries; room listed with %d",
      label, r.confirmed(), r.members(), r.joinMs(), r.deliveries(), r.deliveryMs(), r.deliveriesPerSecond(),
      r.messagesDelivered(), r.messagesExpected(), r.listedCount());
    return r;
  }
}
