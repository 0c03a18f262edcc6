package io.switchboard.bench;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

/**
 * The resume bench's service: one group with a history. Text commands: {@code join} (the session
 * joins {@link #GROUP}; answers {@code joined}), {@code publish <n>} (publishes {@code m0..m<n-1>}
 * to the group; answers {@code published <last position>} once all are stored).
 */
public class ResumeProbe extends ServiceVerticle {

  public static final String PATH = "/resume";
  public static final String GROUP = "room";

  @Override
  protected String defaultName() {
    return "resume";
  }

  @Override
  protected void onMessage(Session session, String text) {
    String[] w = text.split(" ");
    switch (w[0]) {
      case "join" -> {
        session.join(GROUP);
        session.send("joined");
      }
      case "publish" -> {
        int n = Integer.parseInt(w[1]);
        List<Future<Long>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          all.add(publish(GROUP, "m" + i));
        }
        Future.all(all).onComplete(ar -> session.send(ar.succeeded()
          ? "published " + all.get(n - 1).result() : "failed " + ar.cause().getMessage()));
      }
      default -> session.send("unknown " + w[0]);
    }
  }
}
