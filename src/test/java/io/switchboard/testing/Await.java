package io.switchboard.testing;

import io.vertx.core.Future;

import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one way tests wait: on a Vert.x future (at most 30 s), or until a condition holds, polled
 * with back-off (10 ms doubling to 500 ms) up to a deadline. A failure names what was awaited and
 * the last value seen. Blocks a test thread, never an event loop.
 */
public final class Await {

  /** The deadline of {@link #until} when none is given. */
  public static final long DEFAULT_TIMEOUT_MS = 20_000;

  private static final long FIRST_PAUSE_MS = 10;
  private static final long MAX_PAUSE_MS = 500;

  private Await() {
  }

  /** The future's result, or an error when it fails or takes more than 30 s. */
  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Waits until {@code condition} holds, for at most {@link #DEFAULT_TIMEOUT_MS}. */
  public static void until(String what, Check condition) {
    until(what, DEFAULT_TIMEOUT_MS, condition);
  }

  /** Waits until {@code condition} holds, for at most {@code timeoutMs}. */
  public static void until(String what, long timeoutMs, Check condition) {
    until(what, timeoutMs, () -> condition.holds(), ok -> ok);
  }

  /**
   * Polls {@code probe} until its value passes {@code done}; returns that value. A probe that
   * throws (e.g. a refused connection) counts as "not yet", and its error is reported on timeout.
   */
  public static <T> T until(String what, long timeoutMs, Probe<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    long pause = FIRST_PAUSE_MS;
    Object last = "nothing yet";
    while (true) {
      try {
        T value = probe.get();
        if (done.test(value)) {
          return value;
        }
        last = value;
      } catch (AssertionError | Exception e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        AssertionError failure = new AssertionError("not " + what + " within " + timeoutMs + " ms; last seen: " + last);
        if (last instanceof Throwable) {
          failure.initCause((Throwable) last);
        }
        throw failure;
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting until " + what, e);
      }
      pause = Math.min(MAX_PAUSE_MS, pause * 2);
    }
  }

  /** Polls {@code probe} until its value passes {@code done}, for at most {@link #DEFAULT_TIMEOUT_MS}. */
  public static <T> T until(String what, Supplier<T> probe, Predicate<T> done) {
    return until(what, DEFAULT_TIMEOUT_MS, probe::get, done);
  }

  /** A condition that may throw while it cannot be checked yet. */
  @FunctionalInterface
  public interface Check {
    boolean holds() throws Exception;
  }

  /** A value read while waiting; may throw while it cannot be read yet. */
  @FunctionalInterface
  public interface Probe<T> {
    T get() throws Exception;
  }
}
