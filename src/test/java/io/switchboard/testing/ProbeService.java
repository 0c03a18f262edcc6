package io.switchboard.testing;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.buffer.Buffer;

/**
 * A fake service driven by its clients, for gateway tests: {@code close:CODE:REASON} closes the
 * session, {@code join:G} / {@code leave:G} change groups, {@code publish:G:TEXT} fans out,
 * {@code claims} answers the session's JWT claims, {@code flood:N:SIZE[:G]} pushes N messages of SIZE bytes
 * (then tells group G), {@code others:G:TEXT} publishes to G except this session, {@code bytes:TEXT} answers
 * binary, {@code headers} / {@code remote} answer the forwarded headers / remote address,
 * {@code burst:N:G} sends N messages then publishes to G, {@code who} answers the instance address (prefixed "rebound " after a failover), {@code boom} throws, {@code refuse} in the query string refuses the open, {@code stall=MS} holds it MS ms, {@code greet} sends a
 * greeting from onOpen; anything else is
 * echoed with the session's path.
 */
public class ProbeService extends ServiceVerticle {

  @Override
  protected String defaultName() {
    return "probe";
  }

  @Override
  protected void onOpen(Session session) {
    if ("refuse".equals(session.query())) {
      throw new IllegalStateException("refused on purpose");
    }
    if (session.query() != null && session.query().startsWith("stall=")) {
      try {
        Thread.sleep(Long.parseLong(session.query().substring(6))); // a service too busy to accept in time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if ("greet".equals(session.query())) {
      session.send("welcome " + session.id()); // must reach the client before any answer to its first message
    }
  }

  @Override
  protected void onMessage(Session session, String text) {
    String[] parts = text.split(":", 3);
    switch (parts[0]) {
      case "close":
        session.close(Integer.parseInt(parts[1]), parts[2]);
        break;
      case "join":
        session.join(parts[1]);
        session.send("joined " + parts[1]);
        break;
      case "leave":
        session.leave(parts[1]);
        session.send("left " + parts[1]);
        break;
      case "publish":
        publish(parts[1], parts[2]);
        break;
      case "who":
        session.send((session.isRebind() ? "rebound " : "") + instanceAddress());
        break;
      case "claims":
        session.send(session.claims().encode());
        break;
      case "flood":
        String[] sizeAndGroup = parts[2].split(":", 2);
        String chunk = "x".repeat(Integer.parseInt(sizeAndGroup[0]));
        for (int i = Integer.parseInt(parts[1]); i > 0; i--) {
          session.send(chunk);
        }
        if (sizeAndGroup.length > 1) {
          publish(sizeAndGroup[1], "flooded"); // the gateway has handled every push before this
        }
        break;
      case "others":
        publish(parts[1], parts[2], session);
        break;
      case "bytes":
        session.send(Buffer.buffer(parts[1].getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        break;
      case "headers":
        session.send(session.headers().encode());
        break;
      case "remote":
        session.send(session.remoteAddress());
        break;
      case "burst":
        // N session messages then a group publish in one turn: the publish must not overtake them
        for (int i = 0; i < Integer.parseInt(parts[1]); i++) {
          session.send("burst-" + i);
        }
        publish(parts[2], "after the burst");
        break;
      case "boom":
        throw new IllegalStateException("boom on purpose");
      default:
        session.send(session.path() + " " + text);
    }
  }

  /** Tells tests about every close it hears of, on {@code probe.closed}: "sessionId code". */
  @Override
  protected void onClose(Session session, int code, String reason) {
    vertx.eventBus().publish("probe.closed", session.id() + " " + code);
  }

  @Override
  protected void onMessage(Session session, Buffer data) {
    publish("binary", data);
  }
}
