package io.switchboard.bench;

import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * resume (issue 13): what a {@code switchboard.v1} client's resume costs. A client in a group with
 * a history leaves; {@code --missed} messages (1 000) are published to the group; it comes back with
 * its token and last position. Measured per round: from the new connection's start to caught up
 * ({@code resumed}, after every missed message), and the replay rate from the resume frame to
 * {@code resumed}; beside two baselines of the same run: a new session (connect, hello, welcome)
 * and the same number of messages delivered live to that one socket (publish to last arrival, the
 * history appends included).
 */
final class ResumeScenario extends Scenario {

  static final int ROUNDS = 3;
  static final int QUICK_MISSED = 200;
  static final int MISSED = 1_000;
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  ResumeScenario(BenchOptions options, Fleet fleet, LoadClient client, Consumer<String> progress) {
    super(options, fleet, client, progress);
  }

  @Override
  String name() {
    return "resume";
  }

  @Override
  void run() {
    Target sb = fleet.target(Target.SWITCHBOARD);
    ServerJvm gateway = sb.gateways().get(0);
    int missed = options.quick ? QUICK_MISSED : MISSED;
    JsonObject services = new JsonObject().put("services", new JsonArray().add(new JsonObject()
      .put("verticle", ResumeProbe.class.getName())
      .put("config", new JsonObject().put("name", "resume").put("paths", new JsonArray().add(ResumeProbe.PATH))
        .put("history", new JsonObject().put(ResumeProbe.GROUP, new JsonObject().put("size", 4 * MISSED + 100))))));
    fleet.startServiceJvm("resume-service", services, "Service resume ready");
    gateway.await("Announced: service resume ", Fleet.START_TIMEOUT);
    WebSocketClient ws = client.vertx().createWebSocketClient();
    try {
      Client publisher = Client.open(ws, sb.port(), false);
      List<Double> caughtUp = new ArrayList<>();
      List<Double> replayRate = new ArrayList<>();
      List<Double> fresh = new ArrayList<>();
      List<Double> live = new ArrayList<>();
      int rounds = options.quick ? 1 : ROUNDS;
      for (int round = 0; round < rounds + 1; round++) { // round 0 warms up
        long c0 = System.nanoTime();
        Client a = Client.open(ws, sb.port(), true);
        a.send(new JsonObject().put("type", "hello"));
        JsonObject welcome = a.next("welcome");
        double freshMs = (System.nanoTime() - c0) / 1e6;
        a.send(msg(1, "join"));
        a.nextData("joined");
        String token = a.next("token").getString("token");
        publisher.command("publish 1", "published");
        JsonObject last = a.next("msg");
        a.ws.close();

        publisher.command("publish " + missed, "published");
        long t0 = System.nanoTime();
        Client b = Client.open(ws, sb.port(), true);
        long sent = System.nanoTime();
        b.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()
          .put(ResumeProbe.GROUP, new JsonObject().put("epoch", last.getString("epoch")).put("position", last.getLong("position")))));
        long expect = last.getLong("position") + 1;
        for (int i = 0; i < missed; i++) {
          JsonObject m = b.next("msg");
          if (m.getLong("position") != expect++) {
            throw new IllegalStateException("replayed out of order: " + m.encode() + ", expected position " + (expect - 1));
          }
        }
        JsonObject resumed = b.next("resumed");
        long t2 = System.nanoTime();
        if (!resumed.getBoolean("recovered") || resumed.getInteger("missed") != missed
          || !welcome.getString("session").equals(resumed.getString("session"))) {
          throw new IllegalStateException("resume did not recover " + missed + " messages: " + resumed.encode());
        }
        long l0 = System.nanoTime();
        publisher.command("publish " + missed, "published");
        for (int i = 0; i < missed; i++) {
          b.next("msg");
        }
        double liveMs = (System.nanoTime() - l0) / 1e6;
        b.ws.close();
        if (round > 0) {
          caughtUp.add((t2 - t0) / 1e6);
          replayRate.add(missed / ((t2 - sent) / 1e9));
          fresh.add(freshMs);
          live.add(liveMs);
        }
        say("round %d: reconnect → caught up with %d missed %.1f ms (replay %.0f msg/s); new session %.1f ms; %d live %.1f ms",
          round, missed, (t2 - t0) / 1e6, missed / ((t2 - sent) / 1e9), freshMs, missed, liveMs);
      }
      publisher.ws.close();
      String n = missed + " missed";
      figures.add(Figure.of(name(), "reconnect → caught up, " + n + " (median of " + rounds + ")", "ms")
        .value(Target.SWITCHBOARD, round(median(caughtUp), 1)));
      figures.add(Figure.of(name(), "messages replayed per second, " + n, "msg/s")
        .value(Target.SWITCHBOARD, round(median(replayRate), 0)));
      figures.add(Figure.of(name(), "baseline: new session, connect → welcome", "ms")
        .value(Target.SWITCHBOARD, round(median(fresh), 1)));
      figures.add(Figure.of(name(), "baseline: " + missed + " messages live to one socket, publish → last", "ms")
        .value(Target.SWITCHBOARD, round(median(live), 1)));
      raw.put("caughtUpMs", new JsonArray(new ArrayList<>(caughtUp))).put("replayPerSecond", new JsonArray(new ArrayList<>(replayRate)))
        .put("freshMs", new JsonArray(new ArrayList<>(fresh))).put("liveMs", new JsonArray(new ArrayList<>(live))).put("missed", missed);
    } finally {
      ws.close();
    }
  }

  private static JsonObject msg(long seq, String data) {
    return new JsonObject().put("type", "msg").put("seq", seq).put("data", data);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
  }

  /** One bench socket read from the main thread: every text frame goes to a queue. */
  private static final class Client {
    final WebSocket ws;
    final BlockingQueue<String> in = new LinkedBlockingQueue<>();
    final boolean v1;

    private Client(WebSocket ws, boolean v1) {
      this.ws = ws;
      this.v1 = v1;
      ws.textMessageHandler(in::add);
    }

    static Client open(WebSocketClient client, int port, boolean v1) {
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(Fleet.HOST).setPort(port).setURI(ResumeProbe.PATH);
      if (v1) {
        options.addSubProtocol("switchboard.v1");
      }
      try {
        return client.connect(options).map(ws -> new Client(ws, v1)).toCompletionStage().toCompletableFuture()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("cannot connect to " + ResumeProbe.PATH + ": " + e, e);
      }
    }

    void send(JsonObject frame) {
      ws.writeTextMessage(frame.encode());
    }

    /** A plain socket's command and the answer that starts with {@code answer}. */
    void command(String command, String answer) {
      ws.writeTextMessage(command);
      String got = take();
      if (!got.startsWith(answer)) {
        throw new IllegalStateException("'" + command + "' answered '" + got + "'");
      }
    }

    /** The next v1 frame of that type (acks and tokens on the way skipped). */
    JsonObject next(String type) {
      while (true) {
        JsonObject frame = new JsonObject(take());
        String got = frame.getString("type");
        if (type.equals(got)) {
          return frame;
        }
        if (!"ack".equals(got) && !"token".equals(got)) {
          throw new IllegalStateException("expected a " + type + " frame, got " + frame.encode());
        }
      }
    }

    /** The next v1 push, whose data starts with {@code prefix}. */
    void nextData(String prefix) {
      String data = next("msg").getString("data");
      if (!data.startsWith(prefix)) {
        throw new IllegalStateException("expected '" + prefix + "', got '" + data + "'");
      }
    }

    private String take() {
      try {
        String text = in.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (text == null) {
          throw new IllegalStateException("no message within " + TIMEOUT.toSeconds() + " s");
        }
        return text;
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
