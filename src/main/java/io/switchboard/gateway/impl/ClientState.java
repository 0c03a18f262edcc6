package io.switchboard.gateway.impl;

import io.switchboard.history.Replay;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the gateway keeps for a session whose client speaks {@code switchboard.v1}
 * ({@link ClientProtocol}); plain sessions have none. Confined to the gateway node's event loop.
 */
final class ClientState {

  /** Whether the client's first frame (hello or resume) came. */
  boolean greeted;
  /** Whether the client was told its session ({@code welcome} or {@code resumed}). */
  boolean told;
  /** The highest sequence number the client sent on this connection (smaller or equal ones are dropped). */
  long lastSeq;
  /** The highest sequence number handed to the service; {@link #acked} once the client was told. */
  long relayedSeq;
  long acked;
  /** Whether the session's groups, attributes or instance changed since its token was issued. */
  boolean tokenStale;
  /** When the client's current token was issued (ms since the epoch). */
  long tokenIssuedAt;
  /** Whether the session is in the node's list of sessions to flush acks and tokens to at the end of the turn. */
  boolean flushQueued;
  /**
   * For each group the session is in (client's name), where the group's stream ended when it
   * joined ({@link io.switchboard.history.Appended}: position -1 and no epoch for a group without
   * messages yet): a resume replays from there a group the client got no message of. Null until
   * the first join.
   */
  Map<String, io.switchboard.history.Appended> joinedAt;
  /** While a resume is under way: what it has done, and what is held back meanwhile; else null. */
  Recovery recovery;

  /**
   * A resume under way. The session's groups were restored at once, so that live group messages
   * are caught from then on; they (and every other push) are held until the missed messages were
   * read from the groups' histories and the session's instance accepted it; then the gateway
   * writes the missed ones, the {@code resumed} frame, and what was held (but group messages the
   * replay already had), in that order.
   */
  static final class Recovery {
    /** Whether the session state (id, attributes, groups) was restored from the token. */
    final boolean restored;
    /** Why the session could not be restored or its messages not recovered; null while all is well. */
    String failure;
    /** Group reads not answered yet. */
    int reading;
    /** Whether an instance accepted the session. */
    boolean bound;
    /** The missed messages of each group (client's group name), in order. */
    final Map<String, List<Replay.Entry>> missed = new HashMap<>();
    /** The epoch of each group read (client's group name). */
    final Map<String, String> epochs = new HashMap<>();
    /** Pushes held back: each a {@link Held}. */
    final ArrayDeque<Held> held = new ArrayDeque<>();
    /** The client's positions, as it sent them. */
    final JsonObject positions;

    Recovery(boolean restored, String failure, JsonObject positions) {
      this.restored = restored;
      this.failure = failure;
      this.positions = positions;
    }

    void fail(String why) {
      if (failure == null) {
        failure = why;
      }
    }

    boolean done() {
      return bound && reading == 0;
    }
  }

  /** A frame held back during a recovery: a text frame or a Buffer; group and position when it is a group message with history. */
  record Held(Object frame, String group, long position) {
  }
}
