package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** Server and client CPU time spent between {@link #open} and {@link #close}. */
final class CpuWindow {

  private final List<ServerJvm> servers;
  private final long[] before;
  private final long[] sysBefore;
  private final long clientBefore;
  private final long t0 = System.nanoTime();
  private long[] used;
  private long sysUsed;
  private long clientUsed;
  private long wallNanos;

  private CpuWindow(List<ServerJvm> servers) {
    this.servers = servers;
    ProcStats[] stats = servers.stream().map(ServerJvm::stats).toArray(ProcStats[]::new);
    this.before = java.util.Arrays.stream(stats).mapToLong(ProcStats::cpuNanos).toArray();
    this.sysBefore = java.util.Arrays.stream(stats).mapToLong(ProcStats::sysNanos).toArray();
    this.clientBefore = ProcStats.self().cpuNanos();
  }

  static CpuWindow open(List<ServerJvm> servers) {
    return new CpuWindow(servers);
  }

  CpuWindow close() {
    wallNanos = System.nanoTime() - t0;
    used = new long[servers.size()];
    for (int i = 0; i < servers.size(); i++) {
      ProcStats now = servers.get(i).stats();
      used[i] = now.cpuNanos() - before[i];
      sysUsed += now.sysNanos() - sysBefore[i];
    }
    clientUsed = ProcStats.self().cpuNanos() - clientBefore;
    return this;
  }

  /** CPU nanoseconds summed over the server JVMs. */
  long serverNanos() {
    long sum = 0;
    for (long u : used) {
      sum += u;
    }
    return sum;
  }

  long wallNanos() {
    return wallNanos;
  }

  /** Server CPU microseconds per unit of work (message, delivery...). */
  double serverMicrosPer(long units) {
    return units <= 0 ? 0 : serverNanos() / 1000.0 / units;
  }

  JsonObject toJson() {
    JsonObject perJvm = new JsonObject();
    for (int i = 0; i < servers.size(); i++) {
      perJvm.put(servers.get(i).name, Math.round(used[i] / 1e6));
    }
    return new JsonObject().put("wallMs", Math.round(wallNanos / 1e6)).put("serverCpuMs", Math.round(serverNanos() / 1e6))
      .put("serverCpuMsByJvm", perJvm).put("serverSysCpuMs", Math.round(sysUsed / 1e6)).put("clientCpuMs", Math.round(clientUsed / 1e6))
      .put("serverCores", wallNanos == 0 ? 0 : Math.round(100.0 * serverNanos() / wallNanos) / 100.0);
  }
}
