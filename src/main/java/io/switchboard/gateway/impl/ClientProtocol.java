package io.switchboard.gateway.impl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The {@code switchboard.v1} client protocol (docs/protocol.md#resume): a client that offers this
 * WebSocket subprotocol speaks JSON objects in text frames, numbers what it sends, and may resume
 * its session on any gateway. This class reads the client's frames and writes the gateway's; plain
 * clients never meet it.
 */
final class ClientProtocol {

  /** The WebSocket subprotocol a client offers to speak it. */
  static final String SUBPROTOCOL = "switchboard.v1";

  /** A frame from the client. */
  sealed interface Frame permits Hello, Resume, Msg {
  }

  /** {@code {"type":"hello"}}: a new session. */
  record Hello() implements Frame {
  }

  /** {@code {"type":"resume","token":...,"positions":{group:{"epoch","position"}}}}. */
  record Resume(String token, JsonObject positions) implements Frame {
  }

  /** {@code {"type":"msg","seq":n,"data":"..."}}. */
  record Msg(long seq, String data) implements Frame {
  }

  /** A text message a client numbered, on its way to the service (pending, or kept for a replay). */
  record Numbered(long seq, String text) {
  }

  /** A client frame that breaks the protocol; its message is the close reason (1008). */
  static final class Violation extends Exception {
    Violation(String message) {
      super(message, null, false, false);
    }
  }

  private ClientProtocol() {
  }

  static Frame read(String text) throws Violation {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new Violation("switchboard.v1: a text frame must be a JSON object");
    }
    Object type = frame.getValue("type");
    if ("msg".equals(type)) {
      Object seq = frame.getValue("seq");
      Object data = frame.getValue("data");
      if (!(seq instanceof Integer || seq instanceof Long) || ((Number) seq).longValue() < 1) {
        throw new Violation("switchboard.v1: \"msg\" needs \"seq\", an integer from 1");
      }
      if (!(data instanceof String)) {
        throw new Violation("switchboard.v1: \"msg\" needs \"data\", a string");
      }
      return new Msg(((Number) seq).longValue(), (String) data);
    }
    if ("hello".equals(type)) {
      return new Hello();
    }
    if ("resume".equals(type)) {
      Object token = frame.getValue("token");
      Object positions = frame.getValue("positions", new JsonObject());
      if (!(token instanceof String) || !(positions instanceof JsonObject)) {
        throw new Violation("switchboard.v1: \"resume\" needs \"token\" (a string) and \"positions\" (an object)");
      }
      return new Resume((String) token, (JsonObject) positions);
    }
    throw new Violation("switchboard.v1: unknown frame type " + (type == null ? "(none)" : "\"" + type + "\""));
  }

  static String welcome(String sessionId, String token) {
    return new JsonObject().put("type", "welcome").put("session", sessionId).put("token", token).encode();
  }

  static String resumed(String sessionId, String token, boolean restored, boolean recovered, int missed, String reason) {
    JsonObject frame = new JsonObject().put("type", "resumed").put("session", sessionId).put("token", token)
      .put("restored", restored).put("recovered", recovered).put("missed", missed);
    if (reason != null) {
      frame.put("reason", reason);
    }
    return frame.encode();
  }

  /** A push to this session. */
  static String msg(String data) {
    return new JsonObject().put("type", "msg").put("data", data).encode();
  }

  /** A group message; {@code epoch} null for a group without history. */
  static String groupMsg(String group, String epoch, long position, String data) {
    JsonObject frame = new JsonObject().put("type", "msg").put("group", group);
    if (epoch != null) {
      frame.put("epoch", epoch).put("position", position);
    }
    return frame.put("data", data).encode();
  }

  static String ack(long seq) {
    return "{\"type\":\"ack\",\"seq\":" + seq + "}";
  }

  static String token(String token) {
    return new JsonObject().put("type", "token").put("token", token).encode();
  }
}
