package io.switchboard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes and TCP segments on a cluster's own connections (Hazelcast's member port, the
 * clustered event bus's ports), read from the kernel's per-connection counters with
 * {@code ss -tinHO} ({@code bytes_sent}, {@code segs_out}): nothing else on the machine (the
 * WebSockets, another cluster) is counted. A connection counts when one end is a cluster port and
 * both ends are on the members' address: a WebSocket's client end may draw the same number as its
 * ephemeral port (a cluster port is ephemeral too), but on another address ({@code 127.0.x.y}, x &gt; 0).
 * Every member runs on this host, so each connection shows both of its ends; a byte is counted
 * once, by the end that sent it.
 */
final class ClusterTraffic {

  private static final Pattern PID = Pattern.compile("pid=(\\d+)");
  private static final Pattern PORT = Pattern.compile(":(\\d+)$");
  private static final Pattern BYTES_SENT = Pattern.compile("\\bbytes_sent:(\\d+)");
  private static final Pattern SEGS_OUT = Pattern.compile("\\bsegs_out:(\\d+)");
  private static final Pattern DATA_SEGS_OUT = Pattern.compile("\\bdata_segs_out:(\\d+)");

  private ClusterTraffic() {
  }

  /** One end of a connection: what it sent so far. */
  record End(long bytesSent, long segmentsOut, long dataSegmentsOut) {
  }

  /** What the cluster's connections carried between two samples. */
  record Delta(int connections, long bytes, long segments, long dataSegments, long nanos) {

    double bytesPerSecond() {
      return nanos == 0 ? 0 : bytes * 1e9 / nanos;
    }

    double segmentsPerSecond() {
      return nanos == 0 ? 0 : segments * 1e9 / nanos;
    }
  }

  /** A sample: each connection end ("local peer") and its counters, at a time. */
  record Sample(Map<String, End> ends, long nanos) {
  }

  /** The TCP ports these processes listen on ({@code ss -tlnpH}). */
  static Set<Integer> listeningPorts(Set<Long> pids) {
    Set<Integer> ports = new TreeSet<>();
    for (String line : ss(List.of("-tlnpH")).lines().toList()) {
      Matcher pid = PID.matcher(line);
      boolean ours = false;
      while (pid.find()) {
        ours |= pids.contains(Long.parseLong(pid.group(1)));
      }
      String[] f = line.trim().split("\\s+");
      if (ours && f.length >= 4) {
        Matcher port = PORT.matcher(f[3]);
        if (port.find()) {
          ports.add(Integer.parseInt(port.group(1)));
        }
      }
    }
    return ports;
  }

  /** The counters of every established connection with one of these ports at either end, both ends on {@code host} (e.g. 127.0.0.1). */
  static Sample sample(Set<Integer> ports, String host) {
    List<String> args = new ArrayList<>(List.of("-tinHO", "state", "established", "("));
    boolean first = true;
    for (int p : ports) {
      if (!first) {
        args.add("or");
      }
      first = false;
      args.addAll(List.of("sport", "=", ":" + p, "or", "dport", "=", ":" + p));
    }
    args.add(")");
    long at = System.nanoTime();
    Map<String, End> ends = new HashMap<>();
    for (String line : ss(args).lines().toList()) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || !host(f[2]).equals(host) || !host(f[3]).equals(host)) {
        continue;
      }
      ends.put(f[2] + " " + f[3], new End(counter(BYTES_SENT, line), counter(SEGS_OUT, line), counter(DATA_SEGS_OUT, line)));
    }
    return new Sample(ends, at);
  }

  /** What was sent between two samples, over the connections of the later one (a new connection counts from zero). */
  static Delta between(Sample before, Sample after) {
    return between(before, after, port -> true);
  }

  /** As {@link #between(Sample, Sample)}, over the connections with a port of {@code ports} at either end only. */
  static Delta between(Sample before, Sample after, java.util.function.IntPredicate ports) {
    long bytes = 0;
    long segs = 0;
    long data = 0;
    int ends = 0;
    for (Map.Entry<String, End> e : after.ends().entrySet()) {
      String[] addresses = e.getKey().split(" ");
      if (!ports.test(port(addresses[0])) && !ports.test(port(addresses[1]))) {
        continue;
      }
      ends++;
      End b = before.ends().getOrDefault(e.getKey(), new End(0, 0, 0));
      bytes += e.getValue().bytesSent() - b.bytesSent();
      segs += e.getValue().segmentsOut() - b.segmentsOut();
      data += e.getValue().dataSegmentsOut() - b.dataSegmentsOut();
    }
    return new Delta(ends / 2, bytes, segs, data, after.nanos() - before.nanos());
  }

  /** The host of an ss address: {@code [::ffff:127.0.0.1]:5701} → {@code 127.0.0.1}. */
  static String host(String address) {
    String h = address.substring(0, Math.max(0, address.lastIndexOf(':')));
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.startsWith("::ffff:") ? h.substring("::ffff:".length()) : h;
  }

  private static int port(String address) {
    Matcher m = PORT.matcher(address);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  private static long counter(Pattern p, String line) {
    Matcher m = p.matcher(line);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static String ss(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("ss");
    cmd.addAll(args);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("ss " + String.join(" ", args) + " failed: " + out.lines().findFirst().orElse(""));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run ss (iproute2), which the scale scenario needs: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
