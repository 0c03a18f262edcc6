package io.switchboard.history;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * The history of groups that have one: each message published to such a group is stored with a
 * position in the group's stream (0, 1, 2, ...), and the stream has an epoch that changes when
 * its history is lost. Services append (see {@code ServiceVerticle#publish}); gateways read what
 * a resuming client missed. Clustered, it lives on Hazelcast ring buffers (one per group, with a
 * synchronous backup on another member); without a cluster, in this JVM.
 *
 * <p>Group names are qualified ({@code <service>/<group>}, see {@code Addresses#group}).
 */
public interface GroupHistory {

  /** The history store of this Vert.x instance (one per instance, shared by its verticles). */
  static GroupHistory of(Vertx vertx) {
    return HistoryStores.of(vertx);
  }

  /**
   * Declares that the groups of {@code service} matching {@code pattern} (a group name, or a
   * prefix ending with {@code *}, e.g. {@code room:*}) keep a history under {@code policy}.
   * Completes once appends to such groups are stored under it; fails with a message naming the
   * pattern when the cluster already holds a different policy for it.
   */
  Future<Void> declare(String service, String pattern, HistoryPolicy policy);

  /**
   * Stores messages ({@code String} or {@code Buffer} bodies, or either in an {@link Except}) at the end of a group's stream, in
   * order, after any append made before; completes with the position of the first and the
   * stream's epoch. The group must match a declared pattern.
   */
  Future<Appended> append(String group, List<Object> bodies);

  /**
   * A message for {@link #append} that one session did not get when it was published (the
   * publish's {@code except}, usually its sender): stored with it, so that a replay to that
   * session leaves it out ({@link Replay.Entry#except()}).
   */
  record Except(Object body, String sessionId) {
  }

  /**
   * The messages of a group after {@code position} (exclusive: {@code -1} for all it keeps, never
   * {@link Replay.Status#TOO_OLD}), at most {@code max} of them (the Hazelcast store returns at
   * most 1 000 per call; {@link Replay#more()} then says more follow), in order.
   * {@link Replay#status()} says whether they are exactly the ones missed since that position of
   * that epoch: {@link Replay.Status#EPOCH_CHANGED} for another epoch or a position past the
   * stream's end, {@link Replay.Status#TOO_OLD} when messages after the position were dropped.
   * {@code epoch} {@code null} reads the current epoch, whichever it is. A group never written
   * (or whose history was lost and not written since) has no epoch: {@code OK}, no entries and a
   * {@code null} epoch for a {@code null} epoch asked, {@code EPOCH_CHANGED} for any other.
   */
  Future<Replay> since(String group, String epoch, long position, int max);

  /**
   * Where a group's stream ends now: the position of its last message ({@code -1} for none) and
   * its epoch ({@code null} for a group never written, or without history). A gateway notes it
   * when a client joins a group, so that a resume knows where the client came in even if no
   * message reached it since.
   */
  Future<Appended> tail(String group);
}
