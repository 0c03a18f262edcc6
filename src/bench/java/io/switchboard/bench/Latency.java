package io.switchboard.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** Latencies in microseconds, recorded from any thread; summarised as percentiles in ms. */
final class Latency {

  static final long HIGHEST_MICROS = 120_000_000L;
  static final double[] PERCENTILES = {50, 90, 99, 99.9};

  private final Histogram histogram = new ConcurrentHistogram(HIGHEST_MICROS, 3);

  /** Records the time since {@code sentNanos} (a {@link System#nanoTime()}). */
  void recordSince(long sentNanos) {
    long micros = (System.nanoTime() - sentNanos) / 1000;
    histogram.recordValue(Math.max(0, Math.min(HIGHEST_MICROS, micros)));
  }

  long count() {
    return histogram.getTotalCount();
  }

  void reset() {
    histogram.reset();
  }

  /** A percentile in milliseconds. */
  double ms(double percentile) {
    return histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  double maxMs() {
    return histogram.getMaxValue() / 1000.0;
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject().put("count", count());
    for (double p : PERCENTILES) {
      json.put(key(p), round(ms(p)));
    }
    return json.put("maxMs", round(maxMs()));
  }

  static String key(double percentile) {
    String p = percentile == Math.rint(percentile) ? Long.toString((long) percentile) : Double.toString(percentile);
    return "p" + p.replace(".", "") + "Ms";
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
