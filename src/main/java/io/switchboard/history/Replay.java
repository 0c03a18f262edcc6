package io.switchboard.history;

import java.util.List;

/**
 * What a group's history holds after a position.
 *
 * @param status   whether {@code entries} are exactly the messages after the position asked for
 * @param epoch    the stream's epoch now
 * @param entries  the messages, in order (empty unless {@link Status#OK})
 * @param more     whether more messages follow than the {@code max} asked for
 */
public record Replay(Status status, String epoch, List<Entry> entries, boolean more) {

  /** Whether a replay is exact. */
  public enum Status {
    /** The entries are exactly the messages after the position (maybe none). */
    OK,
    /** Messages after the position were dropped (the history's size or time-to-live): some are missing. */
    TOO_OLD,
    /** The stream is not the one the position belongs to (its history was lost and started again). */
    EPOCH_CHANGED
  }

  /**
   * One stored message: its position, body ({@code String} or {@code Buffer}), and the session it
   * was published except ({@code null}: none), which a replay to that session leaves out.
   */
  public record Entry(long position, Object body, String except) {
    public Entry(long position, Object body) {
      this(position, body, null);
    }
  }
}
