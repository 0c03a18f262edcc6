package io.switchboard.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Text traffic on a set of client sockets. Every message carries the {@link System#nanoTime()}
 * it was written at, so whoever receives it (the sender for echo, every member for a room)
 * records its latency. Timers and writes run on each socket's own event loop.
 */
final class Traffic {

  static final Duration DRAIN = Duration.ofSeconds(3);

  private final String padding;

  Traffic(int payloadBytes) {
    this.padding = ":" + "x".repeat(Math.max(0, payloadBytes - 21));
  }

  String message() {
    return System.nanoTime() + padding;
  }

  static long sentAt(String text) {
    int end = text.indexOf(':');
    return Long.parseLong(end < 0 ? text : text.substring(0, end));
  }

  /** What a load loop did. */
  record Counts(long sent, long received, long nanos) {
    long lost() {
      return Math.max(0, sent - received);
    }

    double perSecond() {
      return nanos == 0 ? 0 : received * 1e9 / nanos;
    }
  }

  /**
   * Open loop: {@code rate} messages per second in total, spread evenly over the sockets,
   * regardless of replies, for {@code seconds}; then waits (bounded) for the replies.
   * {@code expectedPerMessage} is how many receipts one message makes (1 for echo).
   */
  Counts openLoop(List<Conn> senders, List<Conn> receivers, double rate, int seconds, long expectedPerMessage, Latency latency) {
    return openLoop(senders, receivers, rate, seconds, expectedPerMessage, latency, message -> message,
      text -> text.isEmpty() || !Character.isDigit(text.charAt(0)) ? -1 : sentAt(text)); // else a probe, not a load message
  }

  /**
   * {@link #openLoop} with the load message {@code wrap}ped into a frame of the target's protocol,
   * and {@code sentAt} telling a received frame's send time ({@code -1}: not a load message, not counted).
   */
  Counts openLoop(List<Conn> senders, List<Conn> receivers, double rate, int seconds, long expectedPerMessage, Latency latency,
                  java.util.function.UnaryOperator<String> wrap, java.util.function.ToLongFunction<String> sentAt) {
    AtomicLong sent = new AtomicLong();
    LongAdder received = new LongAdder();
    for (Conn c : receivers) {
      c.onText(text -> {
        long at = sentAt.applyAsLong(text);
        if (at < 0) {
          return;
        }
        if (latency != null) {
          latency.recordSince(at);
        }
        received.increment();
      });
    }
    double perSocket = rate / senders.size();
    long periodMs = Math.max(1, Math.min(1000, Math.round(1000 / perSocket)));
    double perTick = perSocket * periodMs / 1000.0;
    long t0 = System.nanoTime();
    long end = t0 + Duration.ofSeconds(seconds).toNanos();
    for (Conn c : senders) {
      c.run(() -> {
        double[] carry = {0};
        var vertx = c.context.owner();
        vertx.setPeriodic(1 + c.index % periodMs, periodMs, id -> {
          if (System.nanoTime() >= end) {
            vertx.cancelTimer(id);
            return;
          }
          carry[0] += perTick;
          int k = (int) carry[0];
          carry[0] -= k;
          for (int i = 0; i < k; i++) {
            c.ws.writeTextMessage(wrap.apply(message()));
          }
          sent.addAndGet(k);
        });
      });
    }
    LoadClient.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000) + periodMs + 2);
    awaitReceipts(() -> sent.get() * expectedPerMessage, received);
    return new Counts(sent.get(), received.sum(), System.nanoTime() - t0);
  }

  /**
   * Closed loop: every socket keeps one message in flight, sending the next as soon as its
   * reply comes, for {@code seconds}. Counts replies that came within the window.
   */
  Counts closedLoop(List<Conn> conns, int seconds, Latency latency) {
    LongAdder sent = new LongAdder();
    LongAdder inWindow = new LongAdder();
    LongAdder received = new LongAdder();
    long t0 = System.nanoTime();
    long end = t0 + Duration.ofSeconds(seconds).toNanos();
    for (Conn c : conns) {
      c.onText(text -> {
        latency.recordSince(sentAt(text));
        received.increment();
        if (System.nanoTime() < end) {
          inWindow.increment();
          c.ws.writeTextMessage(message());
          sent.increment();
        }
      });
      c.run(() -> {
        c.ws.writeTextMessage(message());
        sent.increment();
      });
    }
    LoadClient.sleep(Duration.ofSeconds(seconds).toMillis());
    long window = System.nanoTime() - t0;
    awaitReceipts(sent::sum, received);
    return new Counts(sent.sum(), inWindow.sum(), window);
  }

  /** Waits until the receipts reach the expected count, or for {@link #DRAIN} without progress. */
  static void awaitReceipts(java.util.function.LongSupplier expected, LongAdder received) {
    long last = -1;
    long stalledSince = System.nanoTime();
    while (received.sum() < expected.getAsLong()) {
      long now = received.sum();
      if (now != last) {
        last = now;
        stalledSince = System.nanoTime();
      } else if (System.nanoTime() - stalledSince > DRAIN.toNanos()) {
        return;
      }
      LoadClient.sleep(10);
    }
  }
}
