package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Server and client CPU time spent between {@link #open} and {@link #close}. The figures count
 * the servers' work without their JIT compiler threads (a warm-up cost that a short run would
 * otherwise charge to each message); the JIT part and the kernel part are kept alongside.
 */
final class CpuWindow {

  private final List<ServerJvm> servers;
  private final ProcStats[] before;
  private final long clientBefore;
  private final long t0 = System.nanoTime();
  private long[] work;
  private long sys;
  private long jit;
  private long clientUsed;
  private long wallNanos;

  private CpuWindow(List<ServerJvm> servers) {
    this.servers = servers;
    this.before = servers.stream().map(ServerJvm::stats).toArray(ProcStats[]::new);
    this.clientBefore = ProcStats.self().cpuNanos();
  }

  static CpuWindow open(List<ServerJvm> servers) {
    return new CpuWindow(servers);
  }

  CpuWindow close() {
    wallNanos = System.nanoTime() - t0;
    work = new long[servers.size()];
    for (int i = 0; i < servers.size(); i++) {
      ProcStats now = servers.get(i).stats();
      work[i] = now.workNanos() - before[i].workNanos();
      sys += now.sysNanos() - before[i].sysNanos();
      jit += now.jitNanos() - before[i].jitNanos();
    }
    clientUsed = ProcStats.self().cpuNanos() - clientBefore;
    return this;
  }

  /** CPU nanoseconds summed over the server JVMs, without their JIT compiler threads. */
  long serverNanos() {
    long sum = 0;
    for (long w : work) {
      sum += w;
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
      perJvm.put(servers.get(i).name, Math.round(work[i] / 1e6));
    }
    return new JsonObject().put("wallMs", Math.round(wallNanos / 1e6))
      .put("serverCpuMs", Math.round(serverNanos() / 1e6)).put("serverCpuMsByJvm", perJvm)
      .put("serverSysCpuMs", Math.round(sys / 1e6)).put("serverJitCpuMs", Math.round(jit / 1e6))
      .put("clientCpuMs", Math.round(clientUsed / 1e6))
      .put("serverCores", wallNanos == 0 ? 0 : Math.round(100.0 * serverNanos() / wallNanos) / 100.0);
  }
}
